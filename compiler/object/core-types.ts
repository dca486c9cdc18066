// The object's local view of kernel types for CO-RE: per root struct (by name), a
// struct holding just the fields the object's relocations access (members of anonymous
// members in their place: libbpf looks through the kernel's anonymous members), in offset order as
// BTF requires, each at the compiling kernel's offset (libbpf checks an instruction's
// offset against the local one and matches fields by name on the kernel it loads on);
// per root enum, an enum holding just the enumerators the relocations name, in the
// root's order, with the values the instructions hold.
// In: every function's CoreRelos. Out: the local types and, per relocation, its access
// path ("0:<field index>" into a struct, "<enumerator index>" into an enum). The model
// is checked (check-model.ts): every relocated field and enumerator exists in its root.

import { findField, type CType, type EnumType, type StructType } from "../types/ctype.js";
import type { CoreRelo } from "./model.js";

export interface LocalCoreTypes {
  /** The local struct or enum a relocation's access path indexes. */
  typeOf(r: CoreRelo): StructType | EnumType;
  accessPath(r: CoreRelo): number[];
}

export function localCoreTypes(relos: readonly CoreRelo[]): LocalCoreTypes {
  const byName = new Map<string, { root: CoreRelo["root"]; names: Set<string> }>();
  const key = (r: CoreRelo): string => `${r.root.kind} ${r.root.name}`;
  for (const r of relos) {
    let entry = byName.get(key(r));
    if (!entry) byName.set(key(r), (entry = { root: r.root, names: new Set() }));
    if (r.field !== undefined) entry.names.add(r.field);
  }
  const local = new Map<string, StructType | EnumType>();
  for (const [k, { root, names }] of byName) local.set(k, root.kind === "enum" ? localEnum(root, names) : localStruct(root, names));
  const names = (t: StructType | EnumType): string[] => (t.kind === "enum" ? t.values : t.fields).map((f) => f.name);
  return {
    typeOf: (r) => local.get(key(r))!,
    accessPath: (r) => {
      const i = r.field === undefined ? -1 : names(local.get(key(r))!).indexOf(r.field);
      return r.root.kind === "enum" ? [i] : r.field === undefined ? [0] : [0, i];
    },
  };
}

function localStruct(root: StructType, names: Set<string>): StructType {
  const fields = [...names].map((n) => {
    const f = findField(root, n)!; // checkModel: the field exists
    return { name: f.name, type: localType(f.type), offset: f.offset };
  });
  fields.sort((a, b) => a.offset - b.offset);
  return { kind: "struct", name: root.name, fields, size: root.size, align: root.align };
}

function localEnum(root: EnumType, names: Set<string>): EnumType {
  return { ...root, values: root.values.filter((v) => names.has(v.name)) };
}

/** Whether the object's BTF describes the enum as an ENUM64 (8 bytes, as the kernel's
 *  BTF has its 64-bit enums) rather than an ENUM, whose values are 32 bits. */
export function isEnum64(e: EnumType): boolean {
  return e.int.size === 8;
}

/** The value libbpf reads for an enumerator from the local BTF, which an ENUMVAL_VALUE
 *  instruction must hold before relocation (libbpf refuses another) and which libbpf
 *  writes for the loading kernel's enumerator just as: an ENUM's 32 bits sign-extended
 *  whatever the enum's signedness, an ENUM64's 64 bits. A u64 here. */
export function coreEnumValue(e: EnumType, value: bigint): bigint {
  return BigInt.asUintN(64, isEnum64(e) ? value : BigInt.asIntN(32, value));
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
