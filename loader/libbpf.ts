// The only native binding of bpftsc/loader: libbpf.so.1 (Debian's libbpf1) and the few
// libc calls that go with it (mmap for ring buffers and globals, vasprintf for libbpf's
// log, syscall for perf_event_open on another thread), through koffi, whose libuv poll
// handle also waits for ring- and perf-buffer data.
// In: nothing (koffi, koffi.ts, and the libraries load on first use). Out: `native()`,
// typed wrappers of exactly the C functions the loader calls, and `captureLog()`, which
// runs libbpf calls and returns what libbpf printed meanwhile (the verifier log of a
// rejected program).
// Pointers are koffi's bigints, NULL is null.

import type { LibraryHandle } from "koffi";
import { loadKoffi, type KoffiModule } from "./koffi.js";

/** A C pointer to a libbpf object (struct bpf_object, bpf_map, bpf_program, bpf_link). */
export type Handle = bigint;

export interface Native {
  openMem(bytes: Uint8Array, objectName: string): Handle | null;
  objectLoad(obj: Handle): number;
  objectClose(obj: Handle): void;
  nextMap(obj: Handle, prev: Handle | null): Handle | null;
  nextProgram(obj: Handle, prev: Handle | null): Handle | null;

  mapName(map: Handle): string;
  mapType(map: Handle): number;
  mapKeySize(map: Handle): number;
  mapValueSize(map: Handle): number;
  mapMaxEntries(map: Handle): number;
  mapFd(map: Handle): number;
  mapIsInternal(map: Handle): boolean;
  mapBtfKeyTypeId(map: Handle): number;
  mapBtfValueTypeId(map: Handle): number;
  /** The bytes a data-section map (.rodata, .data, .bss) starts with; a copy. */
  mapInitialValue(map: Handle): Uint8Array;
  mapSetInitialValue(map: Handle, bytes: Uint8Array): number;

  programName(prog: Handle): string;
  programSection(prog: Handle): string;
  attach(prog: Handle): Handle | null;
  attachUprobe(prog: Handle, opts: { pid: number; binary: string; func: string; offset: number; retprobe: boolean }): Handle | null;
  /** Attaches a loaded program to a perf event (bpf_program__attach_perf_event); the link
   *  owns the fd from then on. */
  attachPerfEvent(prog: Handle, perfFd: number): Handle | null;
  /** perf_event_open() of a probe (a PMU's: config1 its path, config2 its offset; or a
   *  tracepoint: config its id), for every process, on CPU 0 as libbpf opens probes,
   *  close-on-exec; run on a thread of koffi's, so the kernel's wait is not the event
   *  loop's. The fd, or undefined when the open fails (or this architecture's syscall
   *  number is not known here). */
  perfEventOpenAsync(probe: { type: number; config: bigint; path: string | null; offset: bigint }): Promise<number | undefined>;
  linkDestroy(link: Handle): number;

  lookupElem(fd: number, key: Uint8Array, value: Uint8Array): number;
  updateElem(fd: number, key: Uint8Array, value: Uint8Array, flags: bigint): number;
  deleteElem(fd: number, key: Uint8Array): number;
  /** `key` null asks for the first key. */
  nextKey(fd: number, key: Uint8Array | null, next: Uint8Array): number;

  /** libbpf's perf buffer on a PERF_EVENT_ARRAY: a perf event and a ring of `pages`
   *  data pages per CPU, put in the map, behind one epoll fd that polls readable once
   *  a ring has `wakeupEvents` new records; no callbacks (the loader reads the rings
   *  itself). */
  perfBufferNew(mapFd: number, pages: number, wakeupEvents: number): Handle | null;
  perfBufferFree(pb: Handle): void;
  /** How many per-CPU rings the perf buffer has (one per online CPU). */
  perfBufferCount(pb: Handle): number;
  /** Ring `index`'s memory: the perf_event_mmap_page, then the data pages. */
  perfBufferMemory(pb: Handle, index: number): Handle | null;
  /** The epoll fd that polls readable when any of the rings has been woken. */
  perfBufferEpollFd(pb: Handle): number;

  possibleCpus(): number;
  /** errno as the last call left it. */
  errno(): number;
  /** libbpf's text for an error number (errno values and libbpf's own 4000+ codes). */
  strerror(err: number): string;

  pageSize(): number;
  /** mmap of a map's fd (ring buffers, data sections); MAP_FAILED is null. */
  mmap(length: number, writable: boolean, fd: number, offset: number): Handle | null;
  munmap(addr: Handle, length: number): number;
  /** The native memory at `addr` as an ArrayBuffer, without a copy. */
  view(addr: Handle, length: number): ArrayBuffer;
  /** Watches `fd` on the event loop (libuv, no thread): `onReady` runs on the loop
   *  whenever the fd polls readable while the watch is started. */
  watch(fd: number, onReady: () => void): Watch;
}

export interface Watch {
  start(): void;
  stop(): void;
  close(): void;
}

const LIBBPF_INFO = 1;
const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
/** struct perf_event_attr (include/uapi/linux/perf_event.h): its size in this ABI
 *  version, and what a BPF output event sets (libbpf's perf_buffer__new sets the same,
 *  with wakeup_events 1). */
const PERF_ATTR = { SIZE: 128, TYPE_SOFTWARE: 1, COUNT_SW_BPF_OUTPUT: 10n, SAMPLE_RAW: 1n << 10n } as const;
/** perf_event_open's syscall number by architecture (Node's process.arch). */
const NR_PERF_EVENT_OPEN: Partial<Record<string, number>> = { x64: 298, arm64: 241 };
const PERF_FLAG_FD_CLOEXEC = 8;

let koffi: KoffiModule;
let bound: Native | undefined;
let collected: string[] | undefined;

/** Loads a shared library; when it is missing, the error says which package has it. */
export function loadLibrary(name: string, debianPackage: string): LibraryHandle {
  koffi ??= loadKoffi();
  try {
    return koffi.load(name);
  } catch (e) {
    throw new Error(`bpftsc/loader needs ${name}: install the Debian package ${debianPackage} (apt-get install ${debianPackage}). (${(e as Error).message})`);
  }
}

/** The bound functions; loads libbpf.so.1 and libc on the first call. */
export function native(): Native {
  return (bound ??= bind());
}

function bind(): Native {
  const bpf = loadLibrary("libbpf.so.1", "libbpf1");
  const libc = loadLibrary("libc.so.6", "libc6");

  const OpenOpts = koffi.struct("bpftsc_open_opts", { sz: "size_t", object_name: "const char *" });
  const UprobeOpts = koffi.struct("bpftsc_uprobe_opts", {
    sz: "size_t", ref_ctr_offset: "size_t", bpf_cookie: "uint64_t", retprobe: "bool", func_name: "const char *",
  });
  // The head of struct perf_event_attr a probe sets, padded to PERF_ATTR.SIZE.
  koffi.struct("bpftsc_probe_attr", {
    type: "uint32_t", size: "uint32_t", config: "uint64_t", sample_period: "uint64_t", sample_type: "uint64_t",
    read_format: "uint64_t", flags: "uint64_t", wakeup_events: "uint32_t", bp_type: "uint32_t",
    config1: "const char *", config2: "uint64_t", rest: koffi.array("uint8_t", PERF_ATTR.SIZE - 72),
  });
  const f = (decl: string) => bpf.func(decl);

  const openMem = f("void *bpf_object__open_mem(const void *buf, size_t size, const bpftsc_open_opts *opts)");
  const objectLoad = f("int bpf_object__load(void *obj)");
  const objectClose = f("void bpf_object__close(void *obj)");
  const nextMap = f("void *bpf_object__next_map(void *obj, void *map)");
  const nextProgram = f("void *bpf_object__next_program(void *obj, void *prog)");
  const mapName = f("const char *bpf_map__name(void *map)");
  const mapType = f("int bpf_map__type(void *map)");
  const mapKeySize = f("uint32_t bpf_map__key_size(void *map)");
  const mapValueSize = f("uint32_t bpf_map__value_size(void *map)");
  const mapMaxEntries = f("uint32_t bpf_map__max_entries(void *map)");
  const mapFd = f("int bpf_map__fd(void *map)");
  const mapIsInternal = f("bool bpf_map__is_internal(void *map)");
  const mapBtfKey = f("uint32_t bpf_map__btf_key_type_id(void *map)");
  const mapBtfValue = f("uint32_t bpf_map__btf_value_type_id(void *map)");
  const mapInitialValue = f("void *bpf_map__initial_value(void *map, _Out_ size_t *psize)");
  const mapSetInitialValue = f("int bpf_map__set_initial_value(void *map, const void *data, size_t size)");
  const programName = f("const char *bpf_program__name(void *prog)");
  const programSection = f("const char *bpf_program__section_name(void *prog)");
  const attach = f("void *bpf_program__attach(void *prog)");
  const attachUprobe = f("void *bpf_program__attach_uprobe_opts(void *prog, int pid, const char *binary, size_t offset, const bpftsc_uprobe_opts *opts)");
  const attachPerfEvent = f("void *bpf_program__attach_perf_event(void *prog, int pfd)");
  const linkDestroy = f("int bpf_link__destroy(void *link)");
  const lookupElem = f("int bpf_map_lookup_elem(int fd, const void *key, void *value)");
  const updateElem = f("int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)");
  const deleteElem = f("int bpf_map_delete_elem(int fd, const void *key)");
  const nextKey = f("int bpf_map_get_next_key(int fd, const void *key, void *next)");
  const perfBufferNew = f("void *perf_buffer__new_raw(int map_fd, size_t page_cnt, void *attr, void *event_cb, void *ctx, const void *opts)");
  const perfBufferFree = f("void perf_buffer__free(void *pb)");
  const perfBufferCount = f("size_t perf_buffer__buffer_cnt(void *pb)");
  const perfBufferMemory = f("int perf_buffer__buffer(void *pb, int buf_idx, _Out_ void **buf, _Out_ size_t *buf_size)");
  const perfBufferEpollFd = f("int perf_buffer__epoll_fd(void *pb)");
  const possibleCpus = f("int libbpf_num_possible_cpus(void)");
  const setPrint = f("void *libbpf_set_print(void *fn)");
  const strerror = f("int libbpf_strerror(int err, void *buf, size_t size)");

  const mmap = libc.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)");
  const munmap = libc.func("int munmap(void *addr, size_t length)");
  const getpagesize = libc.func("int getpagesize(void)");
  const vasprintf = libc.func("int vasprintf(_Out_ void **out, void *fmt, void *ap)");
  const free = libc.func("void free(void *p)");
  // syscall() is variadic, which koffi cannot call on another thread; glibc's takes its
  // arguments from the registers a fixed prototype passes them in (x86-64, arm64).
  const perfEventOpen = libc.func("long syscall(long number, const bpftsc_probe_attr *attr, int pid, int cpu, int group_fd, unsigned long flags)");

  // libbpf's messages, formatted by libc (the va_list is passed through as a pointer).
  const PrintFn = koffi.proto("int bpftsc_libbpf_print(int level, void *fmt, void *ap)");
  const printer = koffi.register((level: number, fmt: Handle, ap: Handle): number => {
    if (!collected || level > LIBBPF_INFO) return 0;
    const out: (Handle | null)[] = [null];
    const n = vasprintf(out, fmt, ap) as number;
    if (n >= 0 && out[0] !== null) {
      collected.push(koffi.decode.string(out[0], n));
      free(out[0]);
    }
    return 0;
  }, koffi.pointer(PrintFn));
  setPrint(printer);

  const MAP_FAILED = BigInt.asUintN(64, -1n);
  return {
    openMem: (bytes, objectName) => openMem(bytes, bytes.length, { sz: koffi.sizeof(OpenOpts), object_name: objectName }),
    objectLoad: (obj) => objectLoad(obj),
    objectClose: (obj) => objectClose(obj),
    nextMap: (obj, prev) => nextMap(obj, prev),
    nextProgram: (obj, prev) => nextProgram(obj, prev),
    mapName: (m) => mapName(m),
    mapType: (m) => mapType(m),
    mapKeySize: (m) => mapKeySize(m),
    mapValueSize: (m) => mapValueSize(m),
    mapMaxEntries: (m) => mapMaxEntries(m),
    mapFd: (m) => mapFd(m),
    mapIsInternal: (m) => mapIsInternal(m),
    mapBtfKeyTypeId: (m) => mapBtfKey(m),
    mapBtfValueTypeId: (m) => mapBtfValue(m),
    mapInitialValue: (m) => {
      const size: number[] = [0];
      const p = mapInitialValue(m, size) as Handle | null;
      return p === null ? new Uint8Array() : new Uint8Array(koffi.view(p, Number(size[0])).slice(0));
    },
    mapSetInitialValue: (m, bytes) => mapSetInitialValue(m, bytes, bytes.length),
    programName: (p) => programName(p),
    programSection: (p) => programSection(p),
    attach: (p) => attach(p),
    attachUprobe: (p, o) => attachUprobe(p, o.pid, o.binary, o.offset, {
      sz: koffi.sizeof(UprobeOpts), ref_ctr_offset: 0, bpf_cookie: 0, retprobe: o.retprobe, func_name: o.func,
    }),
    attachPerfEvent: (p, fd) => attachPerfEvent(p, fd),
    perfEventOpenAsync: (probe) => new Promise((resolve) => {
      const nr = NR_PERF_EVENT_OPEN[process.arch];
      if (nr === undefined) return resolve(undefined);
      const attr = { type: probe.type, size: PERF_ATTR.SIZE, config: probe.config, config1: probe.path, config2: probe.offset };
      perfEventOpen.async(nr, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC, (err: unknown, fd: number | bigint) => {
        resolve(err || Number(fd) < 0 ? undefined : Number(fd));
      });
    }),
    linkDestroy: (l) => linkDestroy(l),
    lookupElem: (fd, k, v) => lookupElem(fd, k, v),
    updateElem: (fd, k, v, flags) => updateElem(fd, k, v, flags),
    deleteElem: (fd, k) => deleteElem(fd, k),
    nextKey: (fd, k, next) => nextKey(fd, k, next),
    perfBufferNew: (fd, pages, wakeupEvents) => {
      const attr = Buffer.alloc(PERF_ATTR.SIZE);
      attr.writeUInt32LE(PERF_ATTR.TYPE_SOFTWARE, 0); // type
      attr.writeUInt32LE(PERF_ATTR.SIZE, 4); // size
      attr.writeBigUInt64LE(PERF_ATTR.COUNT_SW_BPF_OUTPUT, 8); // config
      attr.writeBigUInt64LE(1n, 16); // sample_period: every record is a sample
      attr.writeBigUInt64LE(PERF_ATTR.SAMPLE_RAW, 24); // sample_type
      attr.writeUInt32LE(wakeupEvents, 48); // wakeup_events
      return perfBufferNew(fd, pages, attr, null, null, null);
    },
    perfBufferFree: (pb) => perfBufferFree(pb),
    perfBufferCount: (pb) => Number(perfBufferCount(pb)),
    perfBufferMemory: (pb, index) => {
      const base: (Handle | null)[] = [null];
      return perfBufferMemory(pb, index, base, [0]) === 0 ? base[0]! : null;
    },
    perfBufferEpollFd: (pb) => perfBufferEpollFd(pb),
    possibleCpus: () => possibleCpus(),
    errno: () => koffi.errno(),
    strerror: (err) => {
      const buf = Buffer.alloc(256);
      strerror(Math.abs(err), buf, buf.length);
      return buf.toString("utf8", 0, buf.indexOf(0));
    },
    pageSize: () => getpagesize(),
    mmap: (length, writable, fd, offset) => {
      const p = mmap(null, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, offset) as Handle;
      return p === MAP_FAILED ? null : p;
    },
    munmap: (addr, length) => munmap(addr, length),
    view: (addr, length) => koffi.view(addr, length),
    watch: (fd, onReady) => {
      // koffi's libuv poll handle; the callback's arguments are not needed (and not
      // what koffi's typings say), so none are read.
      const handle = koffi.node.poll(fd, { readable: true }, () => onReady());
      handle.stop();
      return {
        start: () => handle.start({ readable: true }, () => onReady()),
        stop: () => handle.stop(),
        close: () => handle.close(),
      };
    },
  };
}

/** Runs `fn` and returns its result with the warnings and notes libbpf printed meanwhile. */
export function captureLog<T>(fn: () => T): { result: T; log: string } {
  native();
  const saved = collected;
  collected = [];
  try {
    const result = fn();
    return { result, log: collected.join("") };
  } finally {
    collected = saved;
  }
}
