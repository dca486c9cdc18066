// The public API of bpftsc/loader: open a BPF object (bytes, a .o path, or a probe .ts
// compiled in-process), set load-time settings, load it, attach its programs, read its
// maps, ring and perf buffers, stack traces and globals, put cgroups in its cgroup
// arrays, and close it.
// In: the object and, as a type argument, the probe module's type (`typeof P` for
// `import type * as P from "./probe.ts"`), which types every map, record and global.
// Out: a BpfObject. Errors are BpfErrors: a verifier rejection carries the verifier's log,
// an attach failure names the program and the kernel's reason.

import { closeSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { formatDiagnostic } from "../compiler/diagnostics.js";
import { Codecs, intLike, rawCodec, type Codec } from "./btf-codec.js";
import { attachProgram, type UprobeTarget } from "./attach.js";
import { BpfError, failed } from "./errors.js";
import { Globals, type SectionMap } from "./globals.js";
import { captureLog, native, type Handle } from "./libbpf.js";
import { CgroupMap } from "./cgroups.js";
import { BpfMap, PerCpuMap, type MapSource } from "./maps.js";
import { readObjectInfo, type ObjectInfo } from "./object-info.js";
import { PERF_PAGES, PerfBuffer } from "./perfbuf.js";
import { RecordStream } from "./record-stream.js";
import { RingBuffer } from "./ringbuf.js";
import { StackMap } from "./stacks.js";
import { openProbeEvent } from "./probe-events.js";
import type { MapKind, MapName, ProgramName } from "./types.js";

// Node 20.0-20.3 lack Symbol.dispose; Node's own polyfill uses this registered symbol.
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for("nodejs.dispose");

const MAP_TYPE = { ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_PERCPU_HASH: 10, RINGBUF: 27 } as const;
/** Maps of fds (prog array, perf event array, cgroup array): their values cannot be read. */
const FD_MAPS = new Set<number>([MAP_TYPE.PROG_ARRAY, MAP_TYPE.PERF_EVENT_ARRAY, MAP_TYPE.CGROUP_ARRAY]);
const PER_CPU = new Set<number>([MAP_TYPE.PERCPU_HASH, MAP_TYPE.PERCPU_ARRAY, MAP_TYPE.LRU_PERCPU_HASH]);

/** A map handle of any kind (what an untyped object's maps are). */
export type AnyMap = BpfMap | PerCpuMap | RingBuffer | PerfBuffer | StackMap | CgroupMap;

/** The handle the loader gives for a map declaration of the probe. */
export type HandleOf<M> =
  MapKind<M> extends { kind: "ringbuf"; record: infer T } ? RingBuffer<T>
  : MapKind<M> extends { kind: "perf"; record: infer T } ? PerfBuffer<T>
  : MapKind<M> extends { kind: "stacks" } ? StackMap
  : MapKind<M> extends { kind: "cgroups" } ? CgroupMap
  : MapKind<M> extends { kind: "percpu"; key: infer K; value: infer V } ? PerCpuMap<K, V>
  : MapKind<M> extends { kind: "map"; key: infer K; value: infer V } ? BpfMap<K, V>
  : AnyMap;

/** The object's maps by name: typed from the probe's exported maps when P is given. */
export type MapsOf<P> = unknown extends P ? { readonly [name: string]: AnyMap } : { readonly [N in MapName<P>]: HandleOf<P[N & keyof P]> };

export interface ProgramInfo {
  readonly name: string;
  /** The ELF section, which says where libbpf attaches it ("uprobe/<binary>:<symbol>"). */
  readonly section: string;
}

export interface OpenOptions {
  /** Kernel BTF to compile a probe .ts against (default /sys/kernel/btf/vmlinux). */
  btfPath?: string;
  /** Each perf buffer's ring size per CPU, in pages: a power of two (default 64). */
  perfBufferPages?: number;
  /** Start openEvents() as soon as the object's programs are known, before its maps
   *  and data sections are read (as `bpftsc run` does). */
  openEvents?: boolean;
}

/**
 * Opens a BPF object: a probe `.ts` file (compiled in-process), a `.o` path, or the
 * object's bytes. Nothing is loaded into the kernel yet: set settings, then `load()`.
 *
 *     import type * as P from "./probe.ts";
 *     using obj = await open<typeof P>("probe.ts");
 *     obj.globals.set("target_pid", 1234);
 *     obj.load().attach();
 *     for await (const e of obj.maps.events) console.log(e.pid);
 */
export async function open<P = unknown>(source: string | Uint8Array, opts: OpenOptions = {}): Promise<BpfObject<P>> {
  if (typeof source !== "string") return new BpfObject<P>(source, "bpftsc", opts);
  if (!source.endsWith(".ts")) return new BpfObject<P>(readFileSync(source), basename(source, ".o"), opts);
  // Imported here: opening an object file never loads the TypeScript compiler.
  const { compile } = await import("../compiler/compile.js");
  const r = compile({ fileName: source, source: readFileSync(source, "utf8"), btfPath: opts.btfPath });
  if (!r.object) throw new BpfError("compile", `${source} does not compile:\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
  return new BpfObject<P>(r.object, basename(source, ".ts"), opts);
}

export class BpfObject<P = unknown> {
  readonly name: string;
  /** Hash, array and per-CPU maps, ring and perf buffers, stack trace maps and cgroup
   *  arrays, by name. */
  readonly maps: MapsOf<P>;
  /** Load-time settings (.rodata) and globals (.data, .bss), by name. */
  readonly globals: Globals<P>;
  /** The programs in libbpf's order (the order attach() attaches them in). */
  readonly programs: readonly ProgramInfo[];
  private handle: Handle | null;
  private isLoaded = false;
  private readonly progHandles = new Map<string, Handle>();
  private readonly links = new Map<string, Handle>();
  private readonly allMaps = new Map<string, AnyMap>();
  /** Perf events opened ahead of attach() (openEvents()), by program, not attached yet. */
  private readonly events = new Map<string, number>();
  private eventsOpening?: Promise<void>;

  constructor(bytes: Uint8Array, name: string, private readonly options: OpenOptions = {}) {
    const n = native();
    this.name = name;
    const opened = captureLog(() => n.openMem(bytes, name.replace(/[^A-Za-z0-9_]/g, "_")));
    const handle = opened.result ?? failed("open", `opening ${name}`, { log: opened.log });
    this.handle = handle;
    try {
      this.programs = this.listPrograms(handle);
      if (options.openEvents) void this.openEvents();
      ({ maps: this.maps, globals: this.globals } = this.inventory(handle, readObjectInfo(bytes)));
    } catch (e) {
      n.objectClose(handle);
      this.handle = null; // events opening meanwhile are closed as they come
      throw e;
    }
  }

  /** The object's programs, as libbpf lists them. */
  private listPrograms(handle: Handle): readonly ProgramInfo[] {
    const n = native();
    const programs: ProgramInfo[] = [];
    for (let p = n.nextProgram(handle, null); p !== null; p = n.nextProgram(handle, p)) {
      const prog = { name: n.programName(p), section: n.programSection(p) };
      programs.push(Object.freeze(prog));
      this.progHandles.set(prog.name, p);
    }
    return Object.freeze(programs);
  }

  /** The object's maps and data sections, as libbpf lists them. */
  private inventory(handle: Handle, info: ObjectInfo): { maps: MapsOf<P>; globals: Globals<P> } {
    const n = native();
    const codecs = info.btf && new Codecs(info.btf);
    const sections: SectionMap[] = [];
    for (let m = n.nextMap(handle, null); m !== null; m = n.nextMap(handle, m)) {
      const map = m, mapName = n.mapName(map);
      const fd = (): number => {
        this.open();
        if (!this.isLoaded) throw new BpfError("map", `map '${mapName}': load() ${this.name} first`);
        return n.mapFd(map);
      };
      if (n.mapIsInternal(map)) {
        const section = info.sections.get(n.mapBtfValueTypeId(map));
        const fdOnceLoaded = (): number | undefined => {
          this.open();
          return this.isLoaded ? n.mapFd(map) : undefined;
        };
        if (section && codecs) sections.push({ handle: map, valueSize: n.mapValueSize(map), section, codecs, fd: fdOnceLoaded });
        continue;
      }
      this.allMaps.set(mapName, this.mapHandle(map, info, codecs, fd));
    }
    return {
      maps: Object.freeze(Object.fromEntries(this.allMaps)) as MapsOf<P>,
      globals: new Globals<P>(sections),
    };
  }

  get loaded(): boolean {
    return this.isLoaded;
  }

  /** A map by name, also one the probe does not export. */
  map<N extends string>(name: N): N extends MapName<P> ? HandleOf<P[N & keyof P]> : AnyMap {
    const m = this.allMaps.get(name);
    if (!m) throw new BpfError("map", `the object has no map '${name}' (it has: ${[...this.allMaps.keys()].join(", ") || "none"})`);
    return m as N extends MapName<P> ? HandleOf<P[N & keyof P]> : AnyMap;
  }

  /** Creates the maps, loads every program into the kernel and opens the perf buffers
   *  (so they keep records from now on); a program the verifier rejects throws a
   *  BpfError whose message ends with the verifier's log. */
  load(): this {
    const h = this.open();
    if (this.isLoaded) throw new BpfError("load", `${this.name} is already loaded`);
    const { result, log } = captureLog(() => native().objectLoad(h));
    if (result !== 0) failed("load", `loading ${this.name}`, { errno: result, log });
    this.isLoaded = true;
    for (const m of this.allMaps.values()) if (m instanceof PerfBuffer) m.open();
    return this;
  }

  /** Starts opening the perf events of the uprobes, uretprobes and tracepoints now, on
   *  another thread (probe-events.ts): the kernel takes 5-15 ms to register a uprobe,
   *  and a tracepoint's event waits for its event_mutex, time in which the object can
   *  be loaded. Resolves once they are open or have failed; attach() then attaches each
   *  program (given no target) to its open event, and the others libbpf's way (saying
   *  why one fails). */
  openEvents(): Promise<void> {
    this.open();
    return (this.eventsOpening ??= Promise.all(this.programs.map(async ({ name, section }) => {
      const fd = await openProbeEvent(section);
      if (fd === undefined) return;
      if (this.handle === null || this.links.has(name)) closeSync(fd); // too late: closed, or attached without it
      else this.events.set(name, fd);
    })).then(() => undefined));
  }

  /** Attaches every program where its section says; on a failure, detaches the ones
   *  this call attached and throws. */
  attach(): this;
  /** Attaches one program; a uprobe can be pointed at another binary, process or function. */
  attach(program: ProgramName<P>, target?: UprobeTarget): this;
  attach(program?: string, target?: UprobeTarget): this {
    if (!this.isLoaded) throw new BpfError("attach", `load() ${this.name} before attaching its programs`);
    const names = program === undefined ? this.programs.map((p) => p.name) : [program];
    const done: string[] = [];
    try {
      for (const name of names) {
        const prog = this.progHandles.get(name);
        if (!prog) throw new BpfError("attach", `the object has no program '${name}' (it has: ${this.programs.map((p) => p.name).join(", ")})`, 0, "", name);
        if (this.links.has(name)) throw new BpfError("attach", `program '${name}' is already attached`, 0, "", name);
        const early = this.events.get(name);
        this.events.delete(name);
        if (early !== undefined && target) closeSync(early); // it is the section's probe, not the target's
        this.links.set(name, attachProgram(prog, name, native().programSection(prog), target, target ? undefined : early));
        done.push(name);
      }
    } catch (e) {
      done.forEach((name) => this.unlink(name));
      throw e;
    }
    return this;
  }

  /** Names of the programs attached now. */
  attached(): string[] {
    return [...this.links.keys()];
  }

  /** Detaches one program, or all of them. */
  detach(program?: ProgramName<P>): void {
    (program === undefined ? [...this.links.keys()] : [program]).forEach((name) => this.unlink(name));
  }

  private unlink(name: string): void {
    const link = this.links.get(name);
    if (link === undefined) return;
    this.links.delete(name);
    native().linkDestroy(link);
  }

  /** Detaches everything, ends ring- and perf-buffer iterations and frees the object. */
  close(): void {
    if (this.handle === null) return;
    this.detach();
    for (const fd of this.events.values()) closeSync(fd);
    this.events.clear();
    for (const m of this.allMaps.values()) if (m instanceof RecordStream) m.close();
    this.globals.close();
    native().objectClose(this.handle);
    this.handle = null;
    this.isLoaded = false;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private open(): Handle {
    if (this.handle === null) throw new BpfError("open", `${this.name} is closed`);
    return this.handle;
  }

  private mapHandle(map: Handle, info: ObjectInfo, codecs: Codecs | undefined, fd: () => number): AnyMap {
    const n = native();
    const type = n.mapType(map);
    const codec = (id: number, size: number): Codec => (codecs && id ? codecs.of(id) : rawCodec(size));
    const name = n.mapName(map);
    const recordId = info.recordType(name);
    const record = recordId !== undefined && codecs ? codecs.of(recordId) : undefined;
    if (type === MAP_TYPE.RINGBUF) return new RingBuffer({ name, maxEntries: n.mapMaxEntries(map), record, fd });
    if (type === MAP_TYPE.PERF_EVENT_ARRAY) return new PerfBuffer({ name, record, pages: this.options.perfBufferPages ?? PERF_PAGES, fd });
    // Stack trace maps and cgroup arrays have no BTF key type; their keys are u32 indexes.
    const indexed = type === MAP_TYPE.STACK_TRACE || type === MAP_TYPE.CGROUP_ARRAY;
    const src: MapSource = {
      name,
      keySize: n.mapKeySize(map), valueSize: n.mapValueSize(map), maxEntries: n.mapMaxEntries(map),
      array: type === MAP_TYPE.ARRAY || type === MAP_TYPE.PERCPU_ARRAY || type === MAP_TYPE.CGROUP_ARRAY,
      tags: info.mapTags(name),
      holdsFds: FD_MAPS.has(type),
      key: indexed ? intLike("u32", 4, false) : codec(n.mapBtfKeyTypeId(map), n.mapKeySize(map)),
      value: codec(n.mapBtfValueTypeId(map), n.mapValueSize(map)),
      fd,
    };
    if (type === MAP_TYPE.STACK_TRACE) return new StackMap(src);
    if (type === MAP_TYPE.CGROUP_ARRAY) return new CgroupMap(src);
    return PER_CPU.has(type) ? new PerCpuMap(src) : new BpfMap(src);
  }
}
