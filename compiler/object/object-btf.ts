// The BTF an object needs beyond its data types, laid out as clang -g lays it out:
// BTF-defined map structs with their VARs and the ".maps" DATASEC, ring-buffer record
// typedefs, the decl tags of maps (a Log2Hist's), a VAR per global in the DATASEC of its data section (settings as
// `const volatile`), the "license" DATASEC, and a FUNC + FUNC_PROTO per program and per
// subprogram.
// In: the model's maps, globals and functions, a BtfBuilder with its CType converter.
// Out: type ids (FUNC per function), the byte layout of .maps and of each data section.

import { sizeOf } from "../types/ctype.js";
import { layoutData, type SectionLayout } from "./data-layout.js";
import { BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_STATIC, type BtfBuilder, type BtfMember } from "./btf.js";
import type { CTypeToBtf } from "./btf-ctype.js";
import type { ObjectGlobal, ObjectMap, ObjectSubprogram } from "./model.js";
import type { ContextKind } from "./sections.js";

export interface MapLayout {
  map: ObjectMap;
  /** Byte offset of the map's definition in .maps, and its size (8 bytes per member). */
  offset: number;
  size: number;
}

/** The decl tag on a map that counts values in bpftrace's hist() buckets (a Log2Hist):
 *  slot 0 negative values, slot 1 zero, slot k + 2 values in [2^k, 2^(k+1)). User space
 *  (bpftsc run) draws such a map as bpftrace draws a histogram. */
export const LOG2_HIST_TAG = "bpftsc:log2hist";

/** The decl tag on a map that counts values in bpftrace's lhist() buckets (a LinearHist):
 *  `bpftsc:lhist:<min>:<max>:<step>`; slot 0 values below min, slot 1 + k values in
 *  [min + k * step, min + (k + 1) * step), the last slot values of max and above. */
const LINEAR_HIST_PREFIX = "bpftsc:lhist:";

export function linearHistTag(h: { min: bigint; max: bigint; step: bigint }): string {
  return `${LINEAR_HIST_PREFIX}${h.min}:${h.max}:${h.step}`;
}

/** A LinearHist's min, max and step from its tag; undefined for another tag. */
export function parseLinearHistTag(tag: string): { min: bigint; max: bigint; step: bigint } | undefined {
  const m = tag.startsWith(LINEAR_HIST_PREFIX) ? /^(-?\d+):(-?\d+):(\d+)$/.exec(tag.slice(LINEAR_HIST_PREFIX.length)) : null;
  return m ? { min: BigInt(m[1]!), max: BigInt(m[2]!), step: BigInt(m[3]!) } : undefined;
}

/** The typedef that names a ring buffer's record type in an object's BTF (`events__record`;
 *  bpftsc/loader decodes the records with it). */
export function ringbufRecordTypedef(mapName: string): string {
  return `${mapName}__record`;
}

/**
 * `__uint(name, n)` is `int (*name)[n]`; `__type(name, T)` is `T *name`.
 * Returns the .maps layout; adds a VAR per map and the ".maps" DATASEC (none if no maps).
 */
export function addMapsBtf(b: BtfBuilder, conv: CTypeToBtf, maps: readonly ObjectMap[]): MapLayout[] {
  const int = conv.baseInt("int");
  const uint = (n: number): number => conv.ptr(conv.array(int, n));
  const layout: MapLayout[] = [];
  const vars: { type: number; offset: number; size: number }[] = [];
  let offset = 0;
  for (const map of maps) {
    const fields: [string, number][] = [["type", uint(map.type)]];
    if (map.maxEntries > 0) fields.push(["max_entries", uint(map.maxEntries)]);
    if (map.key) fields.push(["key", conv.ptr(conv.typeId(map.key))]);
    if (map.value) fields.push(["value", conv.ptr(conv.typeId(map.value))]);
    if (map.keySize) fields.push(["key_size", uint(map.keySize)]);
    if (map.valueSize) fields.push(["value_size", uint(map.valueSize)]);
    if (map.flags) fields.push(["map_flags", uint(map.flags)]);
    const members: BtfMember[] = fields.map(([name, type], i) => ({ name, type, bitOffset: i * 64 }));
    const size = members.length * 8;
    // Distinct maps with the same shape share the anonymous struct, as after BTF dedup.
    const def = b.add({ kind: "struct", name: "", size, members });
    const v = b.add({ kind: "var", name: map.name, type: def, linkage: BTF_VAR_GLOBAL_ALLOCATED });
    vars.push({ type: v, offset, size });
    layout.push({ map, offset, size });
    offset += size;
    if (map.record) b.add({ kind: "typedef", name: ringbufRecordTypedef(map.name), type: conv.typeId(map.record) });
    for (const tag of map.tags ?? []) b.add({ kind: "decl_tag", name: tag, type: v, componentIdx: -1 });
  }
  if (vars.length > 0) b.add({ kind: "datasec", name: ".maps", size: offset, vars });
  return layout;
}

/** Places each global in its section (data-layout.ts), adds a VAR per global (a setting's
 *  type is `const volatile T`, as libbpf's skeletons expect; a static's `const T`, linkage
 *  static) and a DATASEC per section. */
export function addDataBtf(b: BtfBuilder, conv: CTypeToBtf, globals: readonly ObjectGlobal[]): SectionLayout<ObjectGlobal>[] {
  const layouts = layoutData(globals);
  for (const { section, size, vars } of layouts) {
    const secVars = vars.map(({ global, offset }) => {
      let type = conv.typeId(global.type);
      if (global.static) type = b.add({ kind: "const", type });
      else if (section === ".rodata") type = b.add({ kind: "const", type: b.add({ kind: "volatile", type }) });
      const v = b.add({ kind: "var", name: global.name, type, linkage: global.static ? BTF_VAR_STATIC : BTF_VAR_GLOBAL_ALLOCATED });
      return { type: v, offset, size: sizeOf(global.type) };
    });
    b.add({ kind: "datasec", name: section, size, vars: secVars });
  }
  return layouts;
}

/** `char _license[] SEC("license")`: returns the section's bytes. */
export function addLicenseBtf(b: BtfBuilder, conv: CTypeToBtf, license: string): Uint8Array {
  const bytes = new TextEncoder().encode(license + "\0");
  const arr = conv.array(conv.baseInt("char"), bytes.length);
  const v = b.add({ kind: "var", name: "_license", type: arr, linkage: BTF_VAR_GLOBAL_ALLOCATED });
  b.add({ kind: "datasec", name: "license", size: bytes.length, vars: [{ type: v, offset: 0, size: bytes.length }] });
  return bytes;
}

/**
 * `int name(<ctx> ctx)`, linkage global. A pt_regs context points at the struct pt_regs
 * already in the graph (when some CO-RE access uses it), else at a forward declaration,
 * as clang emits for `struct pt_regs;`.
 */
export function addProgramFunc(b: BtfBuilder, conv: CTypeToBtf, name: string, context: ContextKind): number {
  let ctx: number;
  switch (context) {
    case "pt_regs": {
      const target = b.findNamed("struct", "pt_regs") ?? b.add({ kind: "fwd", name: "pt_regs", union: false });
      ctx = conv.ptr(target);
      break;
    }
    case "void":
      ctx = conv.ptr(0);
      break;
    case "u64_array":
      ctx = conv.ptr(conv.baseInt("unsigned long long"));
      break;
  }
  const proto = b.add({ kind: "func_proto", ret: conv.baseInt("int"), params: [{ name: "ctx", type: ctx }] });
  return b.add({ kind: "func", name, proto, linkage: BTF_FUNC_GLOBAL });
}

/** `static <ret> name(<params>)`: a subprogram's prototype, linkage static (the verifier
 *  checks a static function in each caller's context, so pointers to the caller's stack
 *  and map values may be passed). */
export function addSubprogramFunc(b: BtfBuilder, conv: CTypeToBtf, sub: ObjectSubprogram): number {
  const params = sub.params.map((p) => ({ name: p.name, type: conv.typeId(p.type) }));
  const proto = b.add({ kind: "func_proto", ret: sub.ret ? conv.typeId(sub.ret) : 0, params });
  return b.add({ kind: "func", name: sub.name, proto, linkage: BTF_FUNC_STATIC });
}
