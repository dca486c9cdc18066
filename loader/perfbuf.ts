// Reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY map's records in batches, from each CPU's perf
// ring's own memory.
// In: the map (name, fd once loaded), the record codec (none: raw bytes) and the ring size
// in pages. Out: a PerfBuffer: drain() decodes the records available now, CPU by CPU;
// batches() and for-await (record-stream.ts) yield as they arrive; `lost` counts the
// records the kernel dropped because a ring was full.
// libbpf's perf_buffer__new_raw opens a perf event per CPU (PERF_COUNT_SW_BPF_OUTPUT),
// maps its ring, puts its fd in the map at the CPU's index and adds it to one epoll fd,
// which the event loop watches; no libbpf callback runs. The kernel wakes the fd every
// WAKEUP_EVERY records of a ring, not on each as libbpf's perf_buffer__new asks: each
// wake-up costs the producing CPU an interrupt, and on this project's VMs one per record
// slows a tight producer more than tenfold. So a waiting reader also looks every POLL_MS
// for the records short of that count.
// The rings are read as perf's ABI lays them out (include/uapi/linux/perf_event.h): a
// perf_event_mmap_page whose data_head (offset 1024) the kernel advances and whose
// data_tail (1032) the reader stores, then 2^n data pages, mapped once, so a record may
// wrap around their end. Records are 8-byte aligned and start with an 8-byte header
// (type u32, misc u16, size u16): PERF_RECORD_SAMPLE carries a u32 size and the bytes
// bpf_perf_event_output gave; PERF_RECORD_LOST an id and the number of records lost.
// Opened by the object's load(), so records are kept from then on, as a ring buffer's are.

import type { Codec, Value } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native, type Handle } from "./libbpf.js";
import { RecordStream, recordDecoder } from "./record-stream.js";
import type { Decoded } from "./types.js";

const DATA_HEAD = 1024 / 8;
const DATA_TAIL = 1032 / 8;
const RECORD_LOST = 2;
const RECORD_SAMPLE = 9;
/** The largest record (its size is a u16), for copying one that wraps. */
const MAX_RECORD = 0xffff;
/** Records decoded between two stores of a ring's tail. */
const RELEASE_EVERY = 256;
/** A ring's data pages when the object's options do not say (bpftrace's default). */
export const PERF_PAGES = 64;
/** Records a ring takes before the kernel wakes its reader. */
const WAKEUP_EVERY = 64;
/** How often a waiting reader looks for records short of WAKEUP_EVERY. */
const POLL_MS = 50;

export interface PerfSource {
  readonly name: string;
  /** The record codec, from the object's BTF; without one, records are Uint8Arrays. */
  readonly record?: Codec;
  /** Data pages per CPU: a power of two. */
  readonly pages: number;
  fd(): number;
}

interface Ring {
  /** The perf_event_mmap_page's 64-bit words (data_head, data_tail). */
  words: BigUint64Array;
  data: DataView;
}

export class PerfBuffer<T = unknown> extends RecordStream<T> {
  private pb: Handle | null = null;
  private rings: Ring[] = [];
  /** The ring drain() starts with: each drain starts one further, so a busy CPU does
   *  not keep the others waiting. */
  private first = 0;
  private lostRecords = 0;
  private readonly page = native().pageSize();
  private readonly size: number;
  private readonly decode: ReturnType<typeof recordDecoder>;
  /** A record that wraps around the end of its ring, made contiguous. */
  private readonly wrapped = new DataView(new ArrayBuffer(MAX_RECORD));

  constructor(private readonly src: PerfSource) {
    super(POLL_MS);
    if (!Number.isInteger(Math.log2(src.pages))) throw new BpfError("perfbuf", `perf buffer '${src.name}': ${src.pages} pages per CPU is not a power of two`);
    this.size = src.pages * this.page;
    this.decode = recordDecoder(src.record);
  }

  get name(): string { return this.src.name; }

  /** Records the kernel could not write because a CPU's ring was full, as the rings
   *  read so far report them (the kernel reports a loss once there is room again). */
  get lost(): number {
    return this.lostRecords;
  }

  /** Opens the per-CPU rings and puts them in the map (the object's load() calls this). */
  open(): void {
    if (this.pb !== null) return;
    const n = native();
    const pb = n.perfBufferNew(this.src.fd(), this.src.pages, WAKEUP_EVERY) ?? failed("perfbuf", `opening perf buffer '${this.src.name}'`);
    const rings: Ring[] = [];
    for (let i = 0; i < n.perfBufferCount(pb); i++) {
      const base = n.perfBufferMemory(pb, i);
      if (base === null) {
        n.perfBufferFree(pb);
        return failed("perfbuf", `mapping perf buffer '${this.src.name}' (CPU ring ${i})`);
      }
      const memory = n.view(base, this.page + this.size);
      rings.push({ words: new BigUint64Array(memory, 0, this.page / 8), data: new DataView(memory, this.page, this.size) });
    }
    this.pb = pb;
    this.rings = rings;
  }

  drain(max = Infinity): Decoded<T>[] {
    if (this.isClosed) throw new BpfError("perfbuf", `perf buffer '${this.src.name}' is closed`);
    if (this.pb === null) throw new BpfError("perfbuf", `perf buffer '${this.src.name}': load() its object first`);
    const out: Value[] = [];
    const count = this.rings.length;
    for (let k = 0; k < count && out.length < max; k++) this.read(this.rings[(this.first + k) % count]!, out, max);
    this.first = (this.first + 1) % count;
    return out as Decoded<T>[];
  }

  /** Decodes one ring's records into `out` (lost-record counts are added up; with
   *  `max` reached, only those) and gives their space back. */
  private read(ring: Ring, out: Value[], max: number): void {
    const size = this.size;
    let tail = Number(ring.words[DATA_TAIL]!);
    const head = Number(Atomics.load(ring.words, DATA_HEAD));
    while (tail < head) {
      const at = tail % size;
      const type = ring.data.getUint32(at, true);
      if (type === RECORD_SAMPLE && out.length >= max) break;
      const len = ring.data.getUint16(at + 6, true);
      let dv = ring.data, from = at;
      if (at + len > size) {
        const bytes = new Uint8Array(this.wrapped.buffer);
        bytes.set(new Uint8Array(ring.data.buffer, ring.data.byteOffset + at, size - at));
        bytes.set(new Uint8Array(ring.data.buffer, ring.data.byteOffset, len - (size - at)), size - at);
        dv = this.wrapped;
        from = 0;
      }
      if (type === RECORD_SAMPLE) out.push(this.decode(dv, from + 12, dv.getUint32(from + 8, true)));
      else if (type === RECORD_LOST) this.lostRecords += Number(dv.getBigUint64(from + 16, true));
      tail += len;
      if ((out.length & (RELEASE_EVERY - 1)) === 0) Atomics.store(ring.words, DATA_TAIL, BigInt(tail));
    }
    Atomics.store(ring.words, DATA_TAIL, BigInt(tail));
  }

  protected readyFd(): number {
    if (this.pb === null) throw new BpfError("perfbuf", `perf buffer '${this.src.name}': load() its object first`);
    return native().perfBufferEpollFd(this.pb);
  }

  protected release(): void {
    if (this.pb !== null) native().perfBufferFree(this.pb);
    this.pb = null;
    this.rings = [];
  }
}
