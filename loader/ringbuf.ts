// Reads a BPF_MAP_TYPE_RINGBUF map's records in batches, from the ring's own memory.
// In: the map (name, size, fd once loaded) and the record codec (none: raw bytes).
// Out: a RingBuffer: drain() decodes every record available now in one pass;
// batches() and for-await (record-stream.ts) yield as records arrive, waiting on the
// event loop.
// The layout is the kernel's (kernel/bpf/ringbuf.c), mapped as libbpf's ringbuf.c maps it:
// the consumer page read-write at offset 0; the producer page and the data pages, mapped
// twice in a row so a record that wraps is contiguous, read-only at one page further.
// Each record starts with an 8-byte header whose first word is its length, with bit 31
// set while it is being written and bit 30 when it was discarded; records are 8-byte
// aligned. The consumer position is stored every RELEASE_EVERY records, not after each.

import type { Codec, Value } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native, type Handle } from "./libbpf.js";
import { RecordStream, recordDecoder } from "./record-stream.js";
import type { Decoded } from "./types.js";

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HEADER = 8;
/** Records decoded between two stores of the consumer position. */
const RELEASE_EVERY = 1024;

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
}

export class RingBuffer<T = unknown> extends RecordStream<T> {
  private ring?: Mapped;
  private readonly page = native().pageSize();
  private readonly decode: ReturnType<typeof recordDecoder>;

  constructor(private readonly src: RingSource) {
    super();
    this.decode = recordDecoder(src.record);
  }

  get name(): string { return this.src.name; }

  drain(max = Infinity): Decoded<T>[] {
    const r = this.mapped();
    const out: Value[] = [];
    const size = this.src.maxEntries;
    let cons = Number(Atomics.load(r.consumerPos, 0));
    let prod = Number(Atomics.load(r.producerPos, 0));
    while (cons < prod && out.length < max) {
      const at = cons % size;
      const len = Atomics.load(r.words, (this.page + at) >> 2);
      if (len & BUSY) break; // still being written
      const n = len & ~(BUSY | DISCARD);
      cons += (n + HEADER + 7) & ~7;
      if (!(len & DISCARD)) out.push(this.decode(r.data, this.page + at + HEADER, n));
      // Give the space back as we go, so a busy producer is not held up by a long pass.
      if ((out.length & (RELEASE_EVERY - 1)) === 0) Atomics.store(r.consumerPos, 0, BigInt(cons));
      if (cons >= prod) prod = Number(Atomics.load(r.producerPos, 0));
    }
    Atomics.store(r.consumerPos, 0, BigInt(cons));
    return out as Decoded<T>[];
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
