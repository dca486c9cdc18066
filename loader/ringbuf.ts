// Reads a BPF_MAP_TYPE_RINGBUF map's records in batches, from the ring's own memory.
// In: the map (name, size, fd once loaded) and the record codec (none: raw bytes).
// Out: a RingBuffer: drain() decodes every record available now in one pass;
// batches() and for-await yield as records arrive, waiting on the event loop.
// The layout is the kernel's (kernel/bpf/ringbuf.c), mapped as libbpf's ringbuf.c maps it:
// the consumer page read-write at offset 0; the producer page and the data pages, mapped
// twice in a row so a record that wraps is contiguous, read-only at one page further.
// Each record starts with an 8-byte header whose first word is its length, with bit 31
// set while it is being written and bit 30 when it was discarded; records are 8-byte
// aligned. The consumer position is stored every RELEASE_EVERY records, not after each.

import type { Codec, Value } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native, type Handle, type Watch } from "./libbpf.js";
import type { Decoded } from "./types.js";

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;
/** Records decoded between two stores of the consumer position. */
const RELEASE_EVERY = 1024;
/** The most records one batch holds: small batches die young, which keeps the garbage
 *  collector's work small. */
const BATCH = 4096;

export interface RingSource {
  readonly name: string;
  /** The ring's data size in bytes (the map's max_entries, a power of two). */
  readonly maxEntries: number;
  /** The record codec, from the object's BTF; without one, records are Uint8Arrays. */
  readonly record?: Codec;
  fd(): number;
}

interface Mapped {
  consumerAddr: Handle;
  producerAddr: Handle;
  consumerPos: BigUint64Array;
  producerPos: BigUint64Array;
  /** The whole producer mapping: header words and record bytes, one page in. */
  words: Int32Array;
  data: DataView;
  watch: Watch;
}

export class RingBuffer<T = unknown> {
  private ring?: Mapped;
  private readonly page = native().pageSize();
  private closed = false;
  /** Iterators waiting for records. */
  private waiting: (() => void)[] = [];

  constructor(private readonly src: RingSource) {}

  get name(): string { return this.src.name; }

  /** The records available now (at most `max`), decoded, in order; [] when there is none. */
  drain(max = Infinity): Decoded<T>[] {
    const r = this.mapped();
    const out: Value[] = [];
    const size = this.src.maxEntries;
    const decode = this.decoder();
    let cons = Number(Atomics.load(r.consumerPos, 0));
    let prod = Number(Atomics.load(r.producerPos, 0));
    while (cons < prod && out.length < max) {
      const at = cons % size;
      const len = Atomics.load(r.words, (this.page + at) >> 2);
      if (len & BUSY) break; // still being written
      const n = len & ~(BUSY | DISCARD);
      cons += (n + HEADER + 7) & ~7;
      if (!(len & DISCARD)) out.push(decode(r.data, this.page + at + HEADER, n));
      // Give the space back as we go, so a busy producer is not held up by a long pass.
      if ((out.length & (RELEASE_EVERY - 1)) === 0) Atomics.store(r.consumerPos, 0, BigInt(cons));
      if (cons >= prod) prod = Number(Atomics.load(r.producerPos, 0));
    }
    Atomics.store(r.consumerPos, 0, BigInt(cons));
    return out as Decoded<T>[];
  }

  /** Batches of records as they arrive; ends when the ring buffer or its object is closed. */
  async *batches(): AsyncGenerator<Decoded<T>[], void, undefined> {
    try {
      while (!this.closed) {
        const batch = this.drain(BATCH);
        if (batch.length > 0) yield batch;
        else await this.readable();
      }
    } finally {
      if (this.waiting.length === 0) this.ring?.watch.stop();
    }
  }

  /** Each record as it arrives (read in batches underneath). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Decoded<T>, void, undefined> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Unmaps the ring and ends the iterators. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    const r = this.ring;
    if (!r) return;
    r.watch.close();
    native().munmap(r.consumerAddr, this.page);
    native().munmap(r.producerAddr, this.page + 2 * this.src.maxEntries);
    this.ring = undefined;
  }

  private readable(): Promise<void> {
    const r = this.mapped();
    return new Promise((resolve) => {
      if (this.waiting.push(resolve) === 1) r.watch.start();
    });
  }

  private wake(): void {
    this.ring?.watch.stop();
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach((resolve) => resolve());
  }

  private decoder(): (dv: DataView, at: number, len: number) => Value {
    const codec = this.src.record;
    if (!codec) return (dv, at, len) => new Uint8Array(dv.buffer.slice(at, at + len));
    return (dv, at, len) => {
      if (len >= codec.size) return codec.decode(dv, at);
      // A record shorter than its type: the missing bytes read as zero.
      const padded = new Uint8Array(codec.size);
      padded.set(new Uint8Array(dv.buffer, at, len));
      return codec.decode(new DataView(padded.buffer), 0);
    };
  }

  private mapped(): Mapped {
    if (this.closed) throw new BpfError("ringbuf", `ring buffer '${this.src.name}' is closed`);
    if (this.ring) return this.ring;
    const n = native();
    const fd = this.src.fd();
    const size = this.src.maxEntries;
    const page = this.page;
    const fail = (what: string): never => failed("ringbuf", `mapping ring buffer '${this.src.name}' (${what})`);
    const consumerAddr = n.mmap(page, true, fd, 0) ?? fail("consumer page");
    const producerAddr = n.mmap(page + 2 * size, false, fd, page);
    if (producerAddr === null) {
      n.munmap(consumerAddr, page);
      return fail("data pages");
    }
    const producer = n.view(producerAddr, page + 2 * size);
    this.ring = {
      consumerAddr, producerAddr,
      consumerPos: new BigUint64Array(n.view(consumerAddr, page), 0, 1),
      producerPos: new BigUint64Array(producer, 0, 1),
      words: new Int32Array(producer),
      data: new DataView(producer),
      watch: n.watch(fd, () => this.wake()),
    };
    return this.ring;
  }
}
