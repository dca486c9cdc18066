// Converts the probe language's C types (types/ctype.ts) into BTF types.
// In: CType values (map keys and values, CO-RE root structs) and the local enums of CO-RE
// enumerator relocations. Out: BTF type ids in a BtfBuilder, identical types sharing one id.
// Integers spelled u8..i64/bool become a TYPEDEF of that name over the C base type
// (u32 -> typedef u32 = unsigned int), so `bpftool btf dump ... format c` reads like C.
// Structs keep their fields in declaration order: the CO-RE access strings index them.
// Unions become UNIONs, anonymous structs and unions nameless types (an anonymous member
// keeps its empty name), and bitfields members with their width, as clang writes them.
// A pointer member to a named struct or union points at a forward declaration unless
// the object defines the pointee anyway (finish()), as clang does: a Ptr<file> member
// costs a FWD, not the kernel's whole type graph.

import { typeToString, type CType, type EnumType, type IntType, type StructType } from "../types/ctype.js";
import { isEnum64 } from "./core-types.js";
import { BTF_INT_BOOL, BTF_INT_SIGNED, type BtfBuilder, type BtfMember } from "./btf.js";

const C_INT_NAMES: Record<string, { size: number; signed: boolean; bool?: boolean }> = {
  "char": { size: 1, signed: true },
  "signed char": { size: 1, signed: true },
  "unsigned char": { size: 1, signed: false },
  "short": { size: 2, signed: true },
  "unsigned short": { size: 2, signed: false },
  "int": { size: 4, signed: true },
  "unsigned int": { size: 4, signed: false },
  "long": { size: 8, signed: true },
  "unsigned long": { size: 8, signed: false },
  "long long": { size: 8, signed: true },
  "unsigned long long": { size: 8, signed: false },
  "_Bool": { size: 1, signed: false, bool: true },
};

function baseName(size: number, signed: boolean): string {
  switch (size) {
    case 1: return signed ? "signed char" : "unsigned char";
    case 2: return signed ? "short" : "unsigned short";
    case 4: return signed ? "int" : "unsigned int";
    default: return signed ? "long long" : "unsigned long long";
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isCIdentifier(s: string): boolean {
  return IDENT.test(s);
}

export class CTypeToBtf {
  private readonly structIds = new Map<StructType, number>();
  private readonly structKeys = new Map<string, number>();
  /** Reserved PTR ids of pointer members, by pointee; finish() defines them. */
  private readonly memberPtrs = new Map<StructType, number>();

  constructor(private readonly b: BtfBuilder) {}

  /** The INT type of a C base name such as "int" or "unsigned long long". */
  baseInt(name: string): number {
    const c = C_INT_NAMES[name];
    if (!c) throw new Error(`BTF: unknown C integer type ${name}`);
    const encoding = c.bool ? BTF_INT_BOOL : c.signed ? BTF_INT_SIGNED : 0;
    return this.b.add({ kind: "int", name, size: c.size, encoding, bits: c.size * 8 });
  }

  /** Index type of every ARRAY, as clang emits it. */
  arrayIndexType(): number {
    return this.b.add({ kind: "int", name: "__ARRAY_SIZE_TYPE__", size: 4, encoding: 0, bits: 32 });
  }

  array(elem: number, nelems: number): number {
    return this.b.add({ kind: "array", elem, index: this.arrayIndexType(), nelems });
  }

  ptr(to: number): number {
    return this.b.add({ kind: "ptr", type: to });
  }

  typeId(t: CType): number {
    switch (t.kind) {
      case "void": return 0;
      case "int": return this.intId(t);
      case "ptr": return this.ptr(this.typeId(t.to));
      // A Chars<N> is C's char[N], so readers (bpftool, bpftsc/loader) see a string.
      case "array": return this.array(t.isString ? this.baseInt("char") : this.typeId(t.elem), t.length);
      case "struct": return this.structId(t);
    }
  }

  /** An enum as an ENUM or ENUM64 of its size and signedness. */
  enumId(e: EnumType): number {
    return this.b.add({ kind: isEnum64(e) ? "enum64" : "enum", name: e.name, size: e.int.size, signed: e.int.signed, values: e.values });
  }

  private intId(t: IntType): number {
    if (t.name in C_INT_NAMES && C_INT_NAMES[t.name]!.size === t.size) return this.baseInt(t.name);
    const base = t.name === "bool" ? this.baseInt("_Bool") : this.baseInt(baseName(t.size, t.signed));
    if (!isCIdentifier(t.name)) return base;
    return this.b.add({ kind: "typedef", name: t.name, type: base });
  }

  /** Points each pointer member at its pointee's definition, if the object has one, else
   *  at a forward declaration. Call once, after the last typeId(). */
  finish(): void {
    for (const [to, id] of this.memberPtrs) {
      const def = this.structIds.get(to) ?? this.structKeys.get(structKey(to));
      this.b.define(id, { kind: "ptr", type: def ?? this.b.add({ kind: "fwd", name: to.name, union: to.union === true }) });
    }
  }

  /** A member's type: pointers (to pointers) to named structs and unions are left to finish(). */
  private memberTypeId(t: CType): number {
    if (t.kind !== "ptr") return this.typeId(t);
    const to = t.to;
    if (to.kind === "ptr") return this.ptr(this.memberTypeId(to));
    if (to.kind !== "struct" || !isCIdentifier(to.name)) return this.typeId(t);
    let id = this.memberPtrs.get(to);
    if (id === undefined) this.memberPtrs.set(to, (id = this.b.reserve()));
    return id;
  }

  private structId(t: StructType): number {
    const seen = this.structIds.get(t);
    if (seen !== undefined) return seen;
    // Same name and layout => same BTF struct, even from distinct CType objects.
    const key = structKey(t);
    const same = this.structKeys.get(key);
    if (same !== undefined) {
      this.structIds.set(t, same);
      return same;
    }
    const id = this.b.reserve();
    this.structIds.set(t, id);
    this.structKeys.set(key, id);
    const members: BtfMember[] = t.fields.map((f) => f.bitfield
      ? { name: f.name, type: this.typeId(f.type), bitOffset: f.offset * 8 + f.bitfield.bit, bitfieldSize: f.bitfield.width }
      : { name: f.name, type: this.memberTypeId(f.type), bitOffset: f.offset * 8 });
    this.b.define(id, { kind: t.union ? "union" : "struct", name: isCIdentifier(t.name) ? t.name : "", size: t.size, members });
    return id;
  }
}

function structKey(t: StructType): string {
  return JSON.stringify([t.union, t.name, t.size, t.fields.map((f) => [f.name, f.offset, f.bitfield, typeToString(f.type)])]);
}
