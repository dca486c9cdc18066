// Load-time settings and globals by name: the variables of the object's data sections,
// which libbpf turns into one-element array maps (.rodata: `const volatile` settings,
// frozen at load; .data and .bss: globals the programs read and write).
// In: each section's map with its variables (object-info.ts) and the object's codecs.
// Out: Globals: get/set by name. Before load they read and change libbpf's initial value
// of the section; after load they read (and, outside .rodata, write) the map's memory
// itself, mapped as a skeleton maps it.

import { encode, view, type Codecs } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native, type Handle } from "./libbpf.js";
import type { DataSection, Variable } from "./object-info.js";
import type { Decoded, GlobalName, GlobalType, Input } from "./types.js";

export interface SectionMap {
  readonly handle: Handle;
  readonly valueSize: number;
  readonly section: DataSection;
  /** The codecs of the object's BTF (which the section's variables come from). */
  readonly codecs: Codecs;
  /** The map's fd, or undefined before load; throws once the object is closed. */
  fd(): number | undefined;
}

interface Mapped { addr: Handle; length: number; data: DataView }

export class Globals<P = unknown> {
  private readonly vars = new Map<string, { v: Variable; map: SectionMap }>();
  private readonly mapped = new Map<SectionMap, Mapped>();

  constructor(maps: readonly SectionMap[]) {
    for (const map of maps) {
      for (const v of map.section.vars) if (!this.vars.has(v.name)) this.vars.set(v.name, { v, map });
    }
  }

  /** Every setting and global, with the section it lives in. */
  list(): { name: string; section: string }[] {
    return [...this.vars.values()].map(({ v }) => ({ name: v.name, section: v.section }));
  }

  get<N extends GlobalName<P>>(name: N): Decoded<GlobalType<P, N>> {
    const { v, map } = this.find(name);
    const codec = map.codecs.of(v.type);
    const live = this.memory(map);
    const dv = live ? live.data : view(native().mapInitialValue(map.handle));
    return codec.decode(dv, v.offset) as Decoded<GlobalType<P, N>>;
  }

  /** Before load, any variable; after load, globals (.data, .bss) but not settings. */
  set<N extends GlobalName<P>>(name: N, value: Input<GlobalType<P, N>>): void {
    const { v, map } = this.find(name);
    const bytes = encode(map.codecs.of(v.type), v.size, value, name);
    const live = this.memory(map);
    if (live) {
      if (isReadOnly(v.section)) throw new BpfError("map", `'${name}' is a load-time setting (${v.section}): set it before load()`);
      new Uint8Array(live.data.buffer, v.offset, v.size).set(bytes);
      return;
    }
    const image = native().mapInitialValue(map.handle);
    image.set(bytes, v.offset);
    const err = native().mapSetInitialValue(map.handle, image);
    if (err !== 0) failed("map", `setting '${name}'`, { errno: err });
  }

  /** Unmaps the sections' memory. */
  close(): void {
    for (const m of this.mapped.values()) native().munmap(m.addr, m.length);
    this.mapped.clear();
  }

  private find(name: string): { v: Variable; map: SectionMap } {
    const found = this.vars.get(name);
    if (!found) {
      const names = [...this.vars.keys()];
      throw new BpfError("map", `the object has no setting or global '${name}'${names.length ? ` (it has: ${names.join(", ")})` : ""}`);
    }
    return found;
  }

  /** The section's map memory once loaded, else undefined. */
  private memory(map: SectionMap): Mapped | undefined {
    const fd = map.fd();
    if (fd === undefined) return undefined;
    let m = this.mapped.get(map);
    if (!m) {
      const n = native();
      const length = Math.ceil(map.valueSize / n.pageSize()) * n.pageSize();
      const addr = n.mmap(length, !isReadOnly(map.section.name), fd, 0) ?? failed("map", `mapping ${map.section.name}`);
      m = { addr, length, data: new DataView(n.view(addr, length)) };
      this.mapped.set(map, m);
    }
    return m;
  }
}

/** .rodata and .rodata.*: frozen at load. */
function isReadOnly(section: string): boolean {
  return section.startsWith(".rodata");
}
