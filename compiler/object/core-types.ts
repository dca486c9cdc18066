// The object's local view of kernel structs for CO-RE: per root struct (by name), a
// struct holding just the fields the object's relocations access (members of anonymous
// members in their place: libbpf looks through the kernel's anonymous members), in offset order as
// BTF requires, each at the compiling kernel's offset (libbpf checks an instruction's
// offset against the local one and matches fields by name on the kernel it loads on).
// In: every function's CoreRelos. Out: the local structs and, per relocation, its access
// path ("0:<field index>") into the local struct. The model is checked (check-model.ts):
// every relocated field exists in its root.

import { findField, type CType, type StructType } from "../types/ctype.js";
import type { CoreRelo } from "./model.js";

export interface LocalCoreTypes {
  /** The local struct a relocation's access path indexes. */
  structOf(r: CoreRelo): StructType;
  accessPath(r: CoreRelo): number[];
}

export function localCoreTypes(relos: readonly CoreRelo[]): LocalCoreTypes {
  const byName = new Map<string, { root: StructType; fields: Map<string, StructType["fields"][number]> }>();
  for (const r of relos) {
    let entry = byName.get(r.root.name);
    if (!entry) byName.set(r.root.name, (entry = { root: r.root, fields: new Map() }));
    if (r.field === undefined || entry.fields.has(r.field)) continue;
    const f = findField(r.root, r.field)!; // checkModel: the field exists
    entry.fields.set(r.field, { name: f.name, type: localType(f.type), offset: f.offset });
  }
  const local = new Map<string, StructType>();
  for (const [name, { root, fields }] of byName) {
    const sorted = [...fields.values()].sort((a, b) => a.offset - b.offset);
    local.set(name, { kind: "struct", name, fields: sorted, size: root.size, align: root.align });
  }
  return {
    structOf: (r) => local.get(r.root.name)!,
    accessPath: (r) => (r.field === undefined ? [0] : [0, local.get(r.root.name)!.fields.findIndex((f) => f.name === r.field)]),
  };
}

/** A field's type in the local BTF: scalars as they are; pointers to void and embedded
 *  structs as empty structs of their name, so the local struct does not pull the
 *  kernel's type graph into the object (libbpf only needs the kinds to match). */
function localType(t: CType): CType {
  if (t.kind === "ptr") return { kind: "ptr", to: { kind: "void" }, space: t.space };
  if (t.kind === "struct") return { kind: "struct", name: t.name, fields: [], size: t.size, align: t.align };
  if (t.kind === "array") return { ...t, elem: localType(t.elem) };
  return t;
}
