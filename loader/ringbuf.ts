// Reads a BPF_MAP_TYPE_RINGBUF map's records in batches, from the ring's own memory.
// In: the map (name, size, fd once loaded) and the record codec (none: raw bytes).
// Out: a RingBuffer: drain() decodes the records available now; batches() and for-await
// (record-stream.ts) yield as records arrive, waiting on the event loop.
// Each drain() first copies every record the ring holds into a backlog in user space and
// gives the ring its space back, then decodes from the backlog: so a consumer that
// formats or prints each batch before its next drain() holds the producer up only for
// the copy, not for the decoding and printing (at a tracepoint's flat-out rate, the ring
// would otherwise overflow while a batch is printed). The backlog holds at most
// BACKLOG_BYTES; past that, records wait in the ring.
// The layout is the kernel's (kernel/bpf/ringbuf.c), mapped as libbpf's ringbuf.c maps it:
// the consumer page read-write at offset 0; the producer page and the data pages, mapped
// twice in a row so a record that wraps is contiguous, read-only at one page further.
// Each record starts with an 8-byte header whose first word is its length, with bit 31
// set while it is being written and bit 30 when it was discarded; records are 8-byte
// aligned.

import type { Codec, Value } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native, type Handle } from "./libbpf.js";
import { RecordStream, recordDecoder } from "./record-stream.js";
import type { Decoded } from "./types.js";

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;
/** The most bytes of records copied out of rings and not yet decoded, per ring. */
const BACKLOG_BYTES = 256 << 20;

export interface RingSource {
  readonly name: string;
  /** The ring's data size in bytes (the map's max_entries, a power of two). */
  readonly maxEntries: number;
  /** The record codec, from the object's BTF; without one, records are Uint8Arrays. */
  readonly record?: Codec;
  fd(): number;
}

/** Records copied out of the ring in one pass, not all decoded yet. */
interface Copied {
  data: DataView;
  /** Each record's offset in `data` and its length. */
  at: number[];
  len: number[];
  /** The first record not decoded yet. */
  next: number;
}

interface Mapped {
  consumerAddr: Handle;
  producerAddr: Handle;
  consumerPos: BigUint64Array;
  producerPos: BigUint64Array;
  /** The whole producer mapping: header words and record bytes, one page in. */
  words: Int32Array;
  data: DataView;
}

export class RingBuffer<T = unknown> extends RecordStream<T> {
  private ring?: Mapped;
  private readonly page = native().pageSize();
  private readonly decode: ReturnType<typeof recordDecoder>;
  private backlog: Copied[] = [];
  private backlogBytes = 0;

  constructor(private readonly src: RingSource) {
    super();
    this.decode = recordDecoder(src.record);
  }

  get name(): string { return this.src.name; }

  drain(max = Infinity): Decoded<T>[] {
    this.copyOut();
    const out: Value[] = [];
    while (out.length < max && this.backlog.length > 0) {
      const c = this.backlog[0]!;
      const end = Math.min(c.at.length, c.next + max - out.length);
      for (let i = c.next; i < end; i++) out.push(this.decode(c.data, c.at[i]!, c.len[i]!));
      c.next = end;
      if (end < c.at.length) break;
      this.backlog.shift();
      this.backlogBytes -= c.data.byteLength;
    }
    return out as Decoded<T>[];
  }

  /** Moves the records the ring holds (up to the first one still being written) into the
   *  backlog, in one copy, and gives their space back to the producer. */
  private copyOut(): void {
    const r = this.mapped();
    if (this.backlogBytes >= BACKLOG_BYTES) return;
    const size = this.src.maxEntries;
    const first = Number(Atomics.load(r.consumerPos, 0));
    let cons = first;
    let prod = Number(Atomics.load(r.producerPos, 0));
    const at: number[] = [], len: number[] = [];
    while (cons < prod) {
      const word = Atomics.load(r.words, (this.page + (cons % size)) >> 2);
      if (word & BUSY) break; // still being written
      const n = word & ~(BUSY | DISCARD);
      if (!(word & DISCARD)) {
        at.push(cons - first + HEADER);
        len.push(n);
      }
      cons += (n + HEADER + 7) & ~7;
      if (cons >= prod) prod = Number(Atomics.load(r.producerPos, 0));
    }
    if (cons === first) return;
    // The data pages are mapped twice in a row: up to the ring's size is contiguous.
    const start = this.page + (first % size);
    const copy = new Uint8Array(r.data.buffer, start, cons - first).slice();
    Atomics.store(r.consumerPos, 0, BigInt(cons));
    if (at.length === 0) return;
    this.backlog.push({ data: new DataView(copy.buffer), at, len, next: 0 });
    this.backlogBytes += copy.byteLength;
  }

  protected readyFd(): number {
    return this.src.fd();
  }

  protected release(): void {
    const r = this.ring;
    if (!r) return;
    native().munmap(r.consumerAddr, this.page);
    native().munmap(r.producerAddr, this.page + 2 * this.src.maxEntries);
    this.ring = undefined;
    this.backlog = [];
    this.backlogBytes = 0;
  }

  private mapped(): Mapped {
    if (this.isClosed) throw new BpfError("ringbuf", `ring buffer '${this.src.name}' is closed`);
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
    };
    return this.ring;
  }
}
