// DWARF type DIEs → CType (compiler/types/ctype.ts), and their C spelling for messages.
// In: a DwarfContext and the absolute offset of a type DIE (undefined = void).
// Out: a CType: base types by size and encoding (u8..u64, i8..i64, bool), typedefs and
// qualifiers looked through, pointers and references as user-space Ptr, structs/classes
// and unions with member offsets (unions: every member at its own offset, usually 0),
// arrays (nested per dimension; char arrays marked as strings), enums as integers.
// Conversion is memoized per DIE and cycle-safe: a struct is cached before its members
// are converted, so `struct node { struct node *next; }` yields a cyclic object graph.
// A struct only declared in its unit takes the definition another unit gives it.
// Not modelled: bit-fields (omitted from structs), floats (raw bits as an unsigned
// integer of their size), values wider than 8 bytes (byte arrays), functions (void).

import { INT_TYPES, VOID, alignOf, type ArrayType, type CType, type IntType, type PtrType, type StructField, type StructType } from "../types/ctype.js";
import { ByteReader } from "./byte-reader.js";
import { DW_AT, DW_ATE, DW_FORM, DW_TAG } from "./dwarf-consts.js";
import type { FunctionIndex } from "./dwarf-index.js";
import type { Die, DwarfContext } from "./dwarf-units.js";

const QUALIFIERS = new Set<number>([
  DW_TAG.typedef, DW_TAG.const_type, DW_TAG.volatile_type, DW_TAG.restrict_type, DW_TAG.atomic_type,
  DW_TAG.immutable_type, DW_TAG.packed_type, DW_TAG.shared_type,
]);

export class TypeConverter {
  private readonly cache = new Map<number, CType>();

  /** `index` finds the definitions of structs that a unit only declares. */
  constructor(private readonly ctx: DwarfContext, private readonly index?: FunctionIndex) {}

  /** The CType of the type DIE at `offset` (void when undefined). */
  convert(offset: number | undefined, nameHint?: string): CType {
    if (offset === undefined) return VOID;
    const cached = this.cache.get(offset);
    if (cached) return cached;
    const ctx = this.ctx;
    const die = ctx.die(offset);
    const sig = ctx.ref(die, DW_AT.signature); // a stub for a type that lives in a type unit
    if (sig !== undefined) return this.remember(offset, this.convert(sig, nameHint));
    switch (die.tag) {
      case DW_TAG.base_type: return this.remember(offset, baseType(ctx, die));
      case DW_TAG.typedef: {
        const t = this.convert(ctx.ref(die, DW_AT.type), ctx.str(die, DW_AT.name));
        return this.remember(offset, t);
      }
      case DW_TAG.const_type: case DW_TAG.volatile_type: case DW_TAG.restrict_type: case DW_TAG.atomic_type:
      case DW_TAG.immutable_type: case DW_TAG.packed_type: case DW_TAG.shared_type:
        return this.remember(offset, this.convert(ctx.ref(die, DW_AT.type), nameHint));
      case DW_TAG.pointer_type: case DW_TAG.reference_type: case DW_TAG.rvalue_reference_type: {
        const p: PtrType = { kind: "ptr", to: VOID, space: "user" };
        this.cache.set(offset, p);
        p.to = this.convert(ctx.ref(die, DW_AT.type));
        return p;
      }
      case DW_TAG.structure_type: case DW_TAG.class_type: case DW_TAG.union_type:
        return this.struct(die, nameHint);
      case DW_TAG.array_type: return this.remember(offset, this.array(die));
      case DW_TAG.enumeration_type: return this.remember(offset, this.enumType(die));
      case DW_TAG.ptr_to_member_type: return this.remember(offset, INT_TYPES.u64!);
      default: return this.remember(offset, VOID); // subroutine, unspecified (nullptr_t), others
    }
  }

  private remember(offset: number, t: CType): CType {
    this.cache.set(offset, t);
    return t;
  }

  private struct(die: Die, nameHint: string | undefined): StructType {
    const ctx = this.ctx;
    if (ctx.flag(die, DW_AT.declaration) && this.index) {
      // `struct hidden;` here, defined in another unit: use that definition.
      const name = ctx.str(die, DW_AT.name);
      const def = name !== undefined ? this.index.aggregateDefinition(die.tag, name) : undefined;
      if (def !== undefined && def !== die.offset) {
        const t = this.convert(def, nameHint);
        if (t.kind === "struct") {
          this.cache.set(die.offset, t);
          return t;
        }
      }
    }
    const isUnion = die.tag === DW_TAG.union_type;
    const name = ctx.str(die, DW_AT.name) ?? nameHint ?? (isUnion ? "anon_union" : "anon_struct");
    const st: StructType = { kind: "struct", name, fields: [], size: ctx.num(die, DW_AT.byte_size) ?? 0, align: 1 };
    this.cache.set(die.offset, st);
    const fields: StructField[] = [];
    for (const m of ctx.children(die)) {
      if (m.tag !== DW_TAG.member) continue;
      if (ctx.flag(m, DW_AT.declaration) || ctx.flag(m, DW_AT.external)) continue; // C++ static members
      if (ctx.has(m, DW_AT.bit_size)) continue; // bit-fields are not modelled
      const offset = memberOffset(ctx, m);
      if (offset === undefined) continue;
      const type = this.convert(ctx.ref(m, DW_AT.type));
      const mname = ctx.str(m, DW_AT.name);
      if (mname === undefined) {
        // C11 anonymous struct/union member: its fields are fields of the enclosing one.
        if (type.kind === "struct") for (const f of type.fields) fields.push({ name: f.name, type: f.type, offset: offset + f.offset });
        continue;
      }
      fields.push({ name: mname, type, offset });
    }
    st.fields = fields;
    const declared = ctx.num(die, DW_AT.alignment);
    let align = 1;
    for (const f of fields) align = Math.max(align, safeAlign(f.type));
    const packed = fields.some((f) => f.offset % safeAlign(f.type) !== 0) || (st.size % align !== 0);
    st.align = declared ?? (packed ? 1 : align);
    return st;
  }

  private array(die: Die): CType {
    const ctx = this.ctx;
    const elemOffset = ctx.ref(die, DW_AT.type);
    let t: CType = this.convert(elemOffset);
    const isChar = elemOffset !== undefined && isCharType(ctx, elemOffset);
    const dims: number[] = [];
    for (const c of ctx.children(die)) {
      if (c.tag !== DW_TAG.subrange_type && c.tag !== DW_TAG.enumeration_type) continue;
      dims.push(subrangeLength(ctx, c));
    }
    if (dims.length === 0) dims.push(0);
    for (let i = dims.length - 1; i >= 0; i--) {
      const a: ArrayType = { kind: "array", elem: t, length: dims[i]! };
      if (isChar && i === dims.length - 1) a.isString = true;
      t = a;
    }
    return t;
  }

  private enumType(die: Die): CType {
    const ctx = this.ctx;
    const under = ctx.ref(die, DW_AT.type);
    if (under !== undefined) {
      const u = this.convert(under);
      if (u.kind === "int") return u;
    }
    const size = ctx.num(die, DW_AT.byte_size) ?? 4;
    let signed = false;
    for (const e of ctx.children(die)) {
      if (e.tag !== DW_TAG.enumerator) continue;
      const a = ctx.attr(e, DW_AT.const_value);
      if (a && a.form === DW_FORM.sdata && (a.val as bigint) < 0n) signed = true;
    }
    return intType(size, signed);
  }
}

function safeAlign(t: CType): number {
  return Math.max(1, alignOf(t));
}

function intType(size: number, signed: boolean): CType {
  if (size === 1 || size === 2 || size === 4 || size === 8) return INT_TYPES[`${signed ? "i" : "u"}${size * 8}`] as IntType;
  if (size <= 0) return VOID;
  return { kind: "array", elem: INT_TYPES.u8!, length: size };
}

function baseType(ctx: DwarfContext, die: Die): CType {
  const size = ctx.num(die, DW_AT.byte_size) ?? 0;
  const enc = ctx.num(die, DW_AT.encoding) ?? DW_ATE.signed;
  switch (enc) {
    case DW_ATE.boolean: return size === 1 ? INT_TYPES.bool! : intType(size, false);
    case DW_ATE.signed: case DW_ATE.signed_char: return intType(size, true);
    case DW_ATE.unsigned: case DW_ATE.unsigned_char: case DW_ATE.UTF: case DW_ATE.address: return intType(size, false);
    default: return intType(size, false); // floats and others: their raw bits
  }
}

function isCharType(ctx: DwarfContext, offset: number): boolean {
  let d = ctx.die(offset);
  for (let i = 0; i < 16 && QUALIFIERS.has(d.tag); i++) {
    const t = ctx.ref(d, DW_AT.type);
    if (t === undefined) return false;
    d = ctx.die(t);
  }
  if (d.tag !== DW_TAG.base_type || ctx.num(d, DW_AT.byte_size) !== 1) return false;
  const enc = ctx.num(d, DW_AT.encoding);
  return enc === DW_ATE.signed_char || enc === DW_ATE.unsigned_char;
}

function memberOffset(ctx: DwarfContext, m: Die): number | undefined {
  const a = ctx.attr(m, DW_AT.data_member_location);
  if (!a) {
    const bits = ctx.num(m, DW_AT.data_bit_offset);
    return bits !== undefined ? Math.floor(bits / 8) : 0;
  }
  if (a.val instanceof Uint8Array) {
    // DWARF 2 style: an expression, normally DW_OP_plus_uconst N (or DW_OP_constu N).
    const r = new ByteReader(a.val);
    if (a.val.length === 0) return 0;
    const op = r.u8();
    if (op === 0x23 || op === 0x10) return r.uleb();
    return undefined;
  }
  const v = ctx.udata(m, DW_AT.data_member_location);
  return v === undefined ? undefined : Number(v);
}

function subrangeLength(ctx: DwarfContext, c: Die): number {
  const countAttr = ctx.attr(c, DW_AT.count);
  if (countAttr) {
    const n = ctx.udata(c, DW_AT.count);
    return n === undefined ? 0 : Number(n); // a reference or expression: a VLA
  }
  const ub = ctx.attr(c, DW_AT.upper_bound);
  if (!ub) return 0; // flexible array member
  // Small bounds come as unsigned data1/2/4; "no elements" (int x[0]) as -1 in sdata or data8.
  const signed = ub.form === DW_FORM.sdata || ub.form === DW_FORM.data8;
  const hi = signed ? ctx.sdata(c, DW_AT.upper_bound) : ctx.udata(c, DW_AT.upper_bound);
  if (hi === undefined) return 0; // a VLA bound (expression or variable reference)
  const lo = ctx.sdata(c, DW_AT.lower_bound) ?? 0n;
  const n = hi - lo + 1n;
  return n > 0n ? Number(n) : 0;
}

/** The C spelling of a type DIE, for messages ("struct node *", "const char[12]"). */
export function cTypeName(ctx: DwarfContext, offset: number | undefined, depth = 0): string {
  if (offset === undefined) return "void";
  if (depth > 12) return "...";
  const die = ctx.die(offset);
  const sig = ctx.ref(die, DW_AT.signature);
  if (sig !== undefined) return cTypeName(ctx, sig, depth + 1);
  const name = ctx.str(die, DW_AT.name);
  const inner = (): string => cTypeName(ctx, ctx.ref(die, DW_AT.type), depth + 1);
  switch (die.tag) {
    case DW_TAG.base_type: case DW_TAG.typedef: case DW_TAG.unspecified_type: return name ?? "?";
    case DW_TAG.structure_type: return `struct ${name ?? "<anonymous>"}`;
    case DW_TAG.class_type: return `class ${name ?? "<anonymous>"}`;
    case DW_TAG.union_type: return `union ${name ?? "<anonymous>"}`;
    case DW_TAG.enumeration_type: return `enum ${name ?? "<anonymous>"}`;
    case DW_TAG.pointer_type: return `${inner()} *`;
    case DW_TAG.reference_type: return `${inner()} &`;
    case DW_TAG.rvalue_reference_type: return `${inner()} &&`;
    case DW_TAG.const_type: return `const ${inner()}`;
    case DW_TAG.volatile_type: return `volatile ${inner()}`;
    case DW_TAG.restrict_type: return `${inner()} restrict`;
    case DW_TAG.atomic_type: return `_Atomic ${inner()}`;
    case DW_TAG.subroutine_type: return `${inner()} (...)`;
    case DW_TAG.array_type: {
      const dims = ctx.children(die).filter((c) => c.tag === DW_TAG.subrange_type).map((c) => `[${subrangeLength(ctx, c) || ""}]`);
      return `${inner()}${dims.join("") || "[]"}`;
    }
    default: return name ?? "?";
  }
}
