// The probe language's runtime types: what `import ... from "bpftsc"` means to the
// TypeScript checker and to editors. Probe files are compiled to BPF by bpftsc, never
// run by Node, so everything here is a declaration.
//
// Integer types are `number` (as in AssemblyScript): TypeScript checks names and shapes,
// bpftsc checks widths and signedness. Each carries an optional brand of its own, so plain
// numbers and the other integer types stay assignable to it while a type-level test can
// tell them apart: bpftsc/loader decodes a u64 or i64 as a bigint, the others as numbers.

declare const u8Brand: unique symbol;
declare const u16Brand: unique symbol;
declare const u32Brand: unique symbol;
declare const u64Brand: unique symbol;
declare const i8Brand: unique symbol;
declare const i16Brand: unique symbol;
declare const i32Brand: unique symbol;
declare const i64Brand: unique symbol;

/** Unsigned and signed integers of 8 to 64 bits. Arithmetic is 64-bit two's complement;
 *  a value is narrowed to its declared type when stored. */
export type u8 = number & { readonly [u8Brand]?: true };
export type u16 = number & { readonly [u16Brand]?: true };
export type u32 = number & { readonly [u32Brand]?: true };
export type u64 = number & { readonly [u64Brand]?: true };
export type i8 = number & { readonly [i8Brand]?: true };
export type i16 = number & { readonly [i16Brand]?: true };
export type i32 = number & { readonly [i32Brand]?: true };
export type i64 = number & { readonly [i64Brand]?: true };
/** A one-byte boolean (0 or 1). */
export type bool = boolean;

declare const ptrBrand: unique symbol;
declare const charsBrand: unique symbol;
declare const programBrand: unique symbol;
declare const userBrand: unique symbol;
declare const kernelBrand: unique symbol;
declare const perCpuBrand: unique symbol;
declare const perfBrand: unique symbol;

/** A pointer into the probed code's memory (kernel memory for kprobes and tracepoints,
 *  user memory for uprobes). Field access reads through it, one probe read per hop;
 *  a read that faults yields 0. */
export type Ptr<T> = T & { readonly [ptrBrand]?: T };

/** A pointer into user memory, whatever the probe kind: a kernel function's `__user`
 *  argument (read with bpf_probe_read_user). */
export type UserPtr<T> = Ptr<T> & { readonly [userBrand]?: true };
/** A pointer into kernel memory, whatever the probe kind. */
export type KernelPtr<T> = Ptr<T> & { readonly [kernelBrand]?: true };

/** A C `char[N]` buffer: filled by `comm()` and `readStr()` or from a string literal,
 *  stored in structs and maps, zero-padded after its NUL. N is its size in bytes. It is a
 *  string to TypeScript: `name === "bash"` compares it with a literal, `name[0] === "/"`
 *  one byte with a character, and `startsWith(name, "ba")` tests a prefix. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export type Chars<N extends number> = string & { readonly [charsBrand]?: true };

/** A C array `T[N]` inside a struct. */
export interface FixedArray<T, N extends number> {
  [index: number]: T;
  readonly length: N;
}

/** A C union of the members of T, all at offset 0; its size is the largest member's,
 *  rounded up to the largest member alignment. A type of its own
 *  (`type Val = Union<{ asU64: u64; asBytes: FixedArray<u8, 8> }>` is `union Val`) or
 *  inline as a member's type (`u: Union<{ a: u32; b: u16 }>`). To TypeScript it is T
 *  itself; an object literal gives one member (`{ asU64: 1 } as Val`: TypeScript wants
 *  every member of T otherwise), the bytes it does not cover zeroed. */
export type Union<T> = T;

/** A bitfield member of N bits (1 to the bits of T) of integer type T, laid out as gcc
 *  does: `flags: Bits<u32, 3>` is `__u32 flags : 3;`. Reads are shifted and masked (a
 *  signed T sign-extends), writes change only those bits. To TypeScript it is T. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export type Bits<T, N extends number> = T;

/** A compiled program: the value of an exported probe. */
export interface Program {
  readonly [programBrand]: true;
}

/** A handler: parameters name the values to fetch at the probe point. Returns the
 *  program's return value (0 when it returns nothing). */
export type Handler = (...fetched: any[]) => number | void;

/** `kprobe/<fn>`: entry of a kernel function. */
export declare function kprobe(fn: string, handler: Handler): Program;
/** `kretprobe/<fn>`: return of a kernel function; a parameter named `ret` (or the first,
 *  by position) is the return value. */
export declare function kretprobe(fn: string, handler: Handler): Program;
/** `uprobe/<binaryPath>:<symbol>`: entry of a user function. */
export declare function uprobe(binaryPath: string, symbol: string, handler: Handler): Program;
/** `uretprobe/<binaryPath>:<symbol>`: return of a user function. */
export declare function uretprobe(binaryPath: string, symbol: string, handler: Handler): Program;
/** `tracepoint/<category>/<event>`: parameters are the event's format fields. */
export declare function tracepoint(category: string, event: string, handler: Handler): Program;
/** `tp_btf/<event>`: a tracepoint's arguments as the kernel passes them to its probes,
 *  by name and type from BTF (btf_trace_<event>); a BPF trampoline, like fentry. */
export declare function tpBtf(event: string, handler: Handler): Program;
/** `raw_tp/<event>`: a raw tracepoint, its arguments by name from BTF, read as u64 slots. */
export declare function rawTracepoint(event: string, handler: Handler): Program;
/** `fentry/<fn>`: BPF trampoline at a kernel function's entry. */
export declare function fentry(fn: string, handler: Handler): Program;
/** `fexit/<fn>`: BPF trampoline at a kernel function's exit. */
export declare function fexit(fn: string, handler: Handler): Program;

interface MapBase<K, V> {
  /** A reference into the map, or undefined when the key is absent. Check it before use:
   *  TypeScript's narrowing is the verifier's null check. */
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  /** Adds the entry only if the key is absent (BPF_NOEXIST); true when it was added. */
  insert(key: K, value: V): bool;
  /** Replaces the entry only if the key is present (BPF_EXIST); true when it was replaced. */
  replace(key: K, value: V): bool;
  /** The entry, added with `init` first if the key is absent (libbpf-tools'
   *  bpf_map_lookup_or_try_init); undefined only when the map is full. */
  getOrInit(key: K, init: V): V | undefined;
  delete(key: K): void;
  /** Atomically adds `delta` to an integer value, inserting `delta` if the key is absent. */
  add(key: K, delta: number): void;
}

/** BPF_MAP_TYPE_HASH */
export declare class HashMap<K, V> implements MapBase<K, V> {
  constructor(maxEntries: number);
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  insert(key: K, value: V): bool;
  replace(key: K, value: V): bool;
  getOrInit(key: K, init: V): V | undefined;
  delete(key: K): void;
  add(key: K, delta: number): void;
}
/** BPF_MAP_TYPE_LRU_HASH */
export declare class LruHashMap<K, V> extends HashMap<K, V> {}
/** BPF_MAP_TYPE_PERCPU_HASH */
export declare class PerCpuHashMap<K, V> extends HashMap<K, V> {
  /** Marks a map with one value per CPU (user space reads an array of values). */
  readonly [perCpuBrand]?: true;
}
/** BPF_MAP_TYPE_ARRAY: keys are u32 indexes 0..maxEntries-1. */
export declare class ArrayMap<V> extends HashMap<u32, V> {}
/** BPF_MAP_TYPE_PERCPU_ARRAY */
export declare class PerCpuArrayMap<V> extends HashMap<u32, V> {
  readonly [perCpuBrand]?: true;
}

/** A power-of-two histogram of values, as bpftrace's `@h = hist(v)`: `h.observe(v)`
 *  counts v in its bucket. A BPF_MAP_TYPE_ARRAY of 66 u64 counts in bpftrace's layout:
 *  slot 0 counts negative values (of signed types), slot 1 zeros, slot k + 2 the values
 *  in [2^k, 2^(k+1)). The map carries the BTF decl tag "bpftsc:log2hist", and
 *  `bpftsc run` draws it as bpftrace draws a histogram. */
export declare class Log2Hist extends ArrayMap<u64> {
  constructor();
  /** Adds 1 to the bucket of `value` (atomically). */
  observe(value: number): void;
}

/** A linear histogram of values, as bpftrace's `@h = lhist(v, min, max, step)`:
 *  `h.observe(v)` counts v (compared as an i64) in its bucket. A BPF_MAP_TYPE_ARRAY of
 *  (max - min) / step + 2 u64 counts in bpftrace's layout: slot 0 counts values below min,
 *  slot 1 + k those in [min + k * step, min + (k + 1) * step), the last one max and above.
 *  min, max and step are integer constants (min < max, step > 0, at most 1000 steps). The
 *  map carries the BTF decl tag "bpftsc:lhist:MIN:MAX:STEP", and `bpftsc run` draws it as
 *  bpftrace draws a linear histogram. */
export declare class LinearHist extends ArrayMap<u64> {
  constructor(min: number, max: number, step: number);
  /** Adds 1 to the bucket of `value` (atomically). */
  observe(value: number): void;
}

/** BPF_MAP_TYPE_RINGBUF of `sizeBytes` (a power of two, a multiple of the page size). */
export declare class RingBuf<T> {
  constructor(sizeBytes: number);
  /** Copies the record into the ring buffer (bpf_ringbuf_output). */
  output(record: T): void;
  /** Reserves room for one record in the ring (bpf_ringbuf_reserve) and returns it, to be
   *  filled in place, or undefined when the ring is full. The record is not cleared.
   *  Hold it in a `const`, and submit() or discard() it on every path. */
  reserve(): T | undefined;
  /** Hands a reserved record to user space (bpf_ringbuf_submit). */
  submit(record: T): void;
  /** Gives a reserved record back unsent (bpf_ringbuf_discard). */
  discard(record: T): void;
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY: a perf buffer per CPU (`maxEntries`, default: every
 *  CPU), for kernels and tools without ring buffers. */
export declare class PerfEventArray<T> {
  constructor(maxEntries?: number);
  /** Tells a perf event array from a ring buffer (user space reads them differently). */
  readonly [perfBrand]?: true;
  /** Sends the record to the current CPU's perf buffer (bpf_perf_event_output). */
  output(record: T): void;
}

/** BPF_MAP_TYPE_STACK_TRACE: stacks by id, each `depth` (default 127) return addresses. */
export declare class StackTraceMap {
  constructor(maxEntries: number, depth?: number);
  /** The current kernel stack's id in this map (bpf_get_stackid), negative on error. */
  kernelStackId(): i64;
  /** The current user stack's id in this map, negative on error. */
  userStackId(): i64;
}
/** BPF_MAP_TYPE_CGROUP_ARRAY: cgroups (fds user space puts in) to filter on. */
export declare class CgroupArray {
  constructor(maxEntries: number);
  /** Whether the current task is in the cgroup at `index` or below it. */
  currentTaskUnder(index: u32): bool;
}
/** The current task's cgroup v2 id. */
export declare function cgroupId(): u64;
/** The current kernel stack's return addresses into `into` (bpf_get_stack): the bytes
 *  written, or a negative error. */
export declare function kernelStack<N extends number>(into: FixedArray<u64, N>): i64;
/** The current user stack's return addresses into `into`. */
export declare function userStack<N extends number>(into: FixedArray<u64, N>): i64;

/** Process id (tgid) of the current task. */
export declare function pid(): u32;
/** Thread id of the current task. */
export declare function tid(): u32;
/** Real user id of the current task. */
export declare function uid(): u32;
/** Real group id of the current task. */
export declare function gid(): u32;
/** Monotonic time in nanoseconds (bpf_ktime_get_ns). */
export declare function ktimeNs(): u64;
/** Id of the CPU the program runs on. */
export declare function cpu(): u32;
/** The current task's command name. */
export declare function comm(): Chars<16>;
/** Reads a NUL-terminated string from the probed code's memory into a Chars<N>. */
export declare function readStr(src: Ptr<unknown> | u64): Chars<number>;
/** Reads a NUL-terminated string of at most `maxLen` bytes (a constant) to `buf[offset]`,
 *  for strings packed one after another; the buffer is not zeroed. Returns what
 *  bpf_probe_read_{user,kernel}_str does: the bytes written with the NUL, or a negative
 *  errno; -E2BIG (-7) without reading when offset + maxLen passes the buffer's end. */
export declare function readStrInto(buf: Chars<number> | FixedArray<u8, number>, offset: u64 | number, src: Ptr<unknown> | u64, maxLen: number): i64;
/** Whether a Chars<N> starts with `prefix` (a string literal or constant). */
export declare function startsWith(s: Chars<number>, prefix: string): bool;
/** The current task (bpf_get_current_task): `currentTask<task_struct>()` with task_struct
 *  from `bpftsc types task_struct`; its fields read through CO-RE. */
export declare function currentTask<T>(): KernelPtr<T>;
/** Whether the kernel the object loads on has this field of a kernel struct (CO-RE):
 *  `fieldExists(task.__state)`. Code under the other answer is never run there, so it may
 *  read fields that kernel lacks. */
export declare function fieldExists(field: unknown): bool;
/** Whether the kernel the object loads on has the struct T (CO-RE). */
export declare function typeExists<T>(): bool;
/** The value of a kernel enum's enumerator on the kernel the object loads on (CO-RE):
 *  `enumValue(node_stat_item.NR_SHMEM)`, the enum from `bpftsc types node_stat_item` (its
 *  type is the enum's integer type: u32 for most). The object does not load on a kernel
 *  without the enumerator, unless enumExists() guards the use. */
export declare function enumValue(enumerator: number): number;
/** Whether the kernel the object loads on has this enumerator of a kernel enum (CO-RE):
 *  `enumExists(node_stat_item.NR_SHMEM)`. */
export declare function enumExists(enumerator: number): bool;
/** A pointer's address as an integer. */
export declare function toAddress(p: Ptr<unknown>): u64;
/** An address as a pointer into the program's memory (user memory for uprobes and syscall
 *  tracepoints, kernel memory otherwise). */
export declare function toPtr<T>(address: u64): Ptr<T>;
/** An address as a pointer into user memory. */
export declare function toUserPtr<T>(address: u64): UserPtr<T>;
/** An address as a pointer into kernel memory. */
export declare function toKernelPtr<T>(address: u64): KernelPtr<T>;
/** Atomically adds `delta` to an integer in BPF memory shared between CPUs: a field of a
 *  map value (`atomicAdd(s.bytes, n)`) or a global (lock xadd). */
export declare function atomicAdd(target: number, delta: number): void;
/** bpf_trace_printk: a format with up to 3 integer arguments (%d %u %x %ld %lu %llx ...). */
export declare function printk(format: string, ...args: number[]): void;
/** True when fetching the named parameter faulted (its value is then 0). */
export declare function fetchFailed(param: unknown): bool;
