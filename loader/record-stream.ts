// What ring buffers (ringbuf.ts) and perf buffers (perfbuf.ts) share: records decoded
// from kernel memory with the record codec, and the waiting for more on the event loop.
// In: a subclass's drain() (the records available now), the fd that polls readable
// when more arrive and, for a source whose fd is not woken by every record, how often to
// look anyway. Out: batches() and for-await, which yield as records arrive and end
// when the stream is closed; recordDecoder(), a record's bytes to its value.

import type { Codec, Value } from "./btf-codec.js";
import { native, type Watch } from "./libbpf.js";
import type { Decoded } from "./types.js";

/** The most records one batch holds: small batches die young, which keeps the garbage
 *  collector's work small. */
export const BATCH = 4096;

/** Decodes `len` bytes at `at` with the record codec; without one, records are copies of
 *  their bytes. A record shorter than its type reads its missing bytes as zero. */
export function recordDecoder(codec: Codec | undefined): (dv: DataView, at: number, len: number) => Value {
  if (!codec) return (dv, at, len) => new Uint8Array(dv.buffer.slice(dv.byteOffset + at, dv.byteOffset + at + len));
  return (dv, at, len) => {
    if (len >= codec.size) return codec.decode(dv, at);
    const padded = new Uint8Array(codec.size);
    padded.set(new Uint8Array(dv.buffer, dv.byteOffset + at, len));
    return codec.decode(new DataView(padded.buffer), 0);
  };
}

export abstract class RecordStream<T> {
  private closed = false;
  private watching?: Watch;
  private timer?: NodeJS.Timeout;
  /** Iterators waiting for records. */
  private waiting: (() => void)[] = [];

  /** `pollMs`: while waiting, also look for records this often (the fd may stay
   *  quiet while a few records are there). */
  constructor(private readonly pollMs?: number) {}

  abstract get name(): string;

  /** The records available now (at most `max`), decoded, in order; [] when there is none. */
  abstract drain(max?: number): Decoded<T>[];

  /** The fd that polls readable when records arrive. */
  protected abstract readyFd(): number;

  /** Frees what the stream reads from (its mappings); the iterators have ended. */
  protected abstract release(): void;

  get isClosed(): boolean { return this.closed; }

  /** Batches of records as they arrive; ends when the stream or its object is closed. */
  async *batches(): AsyncGenerator<Decoded<T>[], void, undefined> {
    try {
      while (!this.closed) {
        const batch = this.drain(BATCH);
        if (batch.length > 0) yield batch;
        else await this.readable();
      }
    } finally {
      if (this.waiting.length === 0) this.watching?.stop();
    }
  }

  /** Each record as it arrives (read in batches underneath). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Decoded<T>, void, undefined> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Ends the iterators and frees the stream's memory. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.watching?.close();
    this.watching = undefined;
    this.release();
  }

  private readable(): Promise<void> {
    const watch = (this.watching ??= native().watch(this.readyFd(), () => this.wake()));
    return new Promise((resolve) => {
      if (this.waiting.push(resolve) !== 1) return;
      watch.start();
      if (this.pollMs !== undefined) this.timer = setTimeout(() => this.wake(), this.pollMs);
    });
  }

  private wake(): void {
    this.watching?.stop();
    clearTimeout(this.timer);
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resolve) => resolve());
  }
}
