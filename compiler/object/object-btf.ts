// The BTF an object needs beyond its data types, laid out as clang -g lays it out:
// BTF-defined map structs with their VARs and the ".maps" DATASEC, the "license" DATASEC,
// and one FUNC + FUNC_PROTO per program; a ring buffer's record type as a typedef.
// In: the model's maps and programs, a BtfBuilder with its CType converter.
// Out: type ids (FUNC per program) and the byte layout of the .maps section.

import { BTF_FUNC_GLOBAL, BTF_VAR_GLOBAL_ALLOCATED, type BtfBuilder, type BtfMember } from "./btf.js";
import type { CTypeToBtf } from "./btf-ctype.js";
import { MAP_TYPE, type ContextKind, type ObjectMap } from "./model.js";

export interface MapLayout {
  map: ObjectMap;
  /** Byte offset of the map's definition in .maps, and its size (8 bytes per member). */
  offset: number;
  size: number;
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
    const fields: [string, number][] = [["type", uint(map.type)], ["max_entries", uint(map.maxEntries)]];
    if (map.type !== MAP_TYPE.RINGBUF) {
      if (map.key) fields.push(["key", conv.ptr(conv.typeId(map.key))]);
      if (map.value) fields.push(["value", conv.ptr(conv.typeId(map.value))]);
    } else if (map.value) {
      // The kernel refuses a value type on a ring buffer: its record type goes in a typedef.
      b.add({ kind: "typedef", name: ringbufRecordTypedef(map.name), type: conv.typeId(map.value) });
    }
    if (map.flags) fields.push(["map_flags", uint(map.flags)]);
    const members: BtfMember[] = fields.map(([name, type], i) => ({ name, type, bitOffset: i * 64 }));
    const size = members.length * 8;
    // Distinct maps with the same shape share the anonymous struct, as after BTF dedup.
    const def = b.add({ kind: "struct", name: "", size, members });
    const v = b.add({ kind: "var", name: map.name, type: def, linkage: BTF_VAR_GLOBAL_ALLOCATED });
    vars.push({ type: v, offset, size });
    layout.push({ map, offset, size });
    offset += size;
  }
  if (vars.length > 0) b.add({ kind: "datasec", name: ".maps", size: offset, vars });
  return layout;
}

/** The typedef that names a ring buffer's record type in an object's BTF (bpftsc/loader
 *  decodes the records with it). */
export function ringbufRecordTypedef(mapName: string): string {
  return `__bpftsc_record_${mapName}`;
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
