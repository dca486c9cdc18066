// C-level types of the probe language, shared by every stage.
// In: nothing. Out: the CType model (integers, bool, pointers, fixed arrays, structs and
// unions, bitfield members) with C layout as gcc lays it out on x86-64 (size, alignment,
// member offsets, bitfield storage units), which the frontend builds from TypeScript
// declarations and the BTF writer turns into .BTF types; and enums, which CO-RE
// relocations name.

export type CType = IntType | PtrType | ArrayType | StructType | VoidType;

export interface VoidType { kind: "void" }

export interface IntType {
  kind: "int";
  /** Width in bytes. */
  size: 1 | 2 | 4 | 8;
  signed: boolean;
  /** The name it is spelled with in the probe file: u8..i64, bool, char. */
  name: string;
}

export interface PtrType {
  kind: "ptr";
  to: CType;
  /** Where the pointee lives; decides which probe-read helper dereferences it. */
  space: "kernel" | "user";
  /** Said by the type (UserPtr/KernelPtr); otherwise the probe kind decides. */
  explicit?: boolean;
}

export interface ArrayType {
  kind: "array";
  elem: CType;
  length: number;
  /** A Chars<N> buffer: a C char array that string helpers fill. */
  isString?: boolean;
}

export interface StructField {
  /** "" for an anonymous struct or union member (kernel types): as in C, its members
   *  are named as members of the enclosing type (findField). */
  name: string;
  type: CType;
  /** Byte offset inside the struct; a bitfield's is that of its storage unit. */
  offset: number;
  /** A bitfield member: `type` is its integer type, and the storage unit is the
   *  sizeOf(type)-byte word at `offset` that holds all of its bits. */
  bitfield?: Bitfield;
}

export interface Bitfield {
  /** The first bit inside the storage unit, counted from its least significant bit. */
  bit: number;
  /** Width in bits, 1 to the integer type's width. */
  width: number;
}

export interface StructType {
  kind: "struct";
  /** A C union: every member at offset 0. */
  union?: boolean;
  /** "" for an anonymous struct or union (a type literal, an untagged kernel type). */
  name: string;
  fields: StructField[];
  size: number;
  align: number;
}

/** A C enum. Not a CType: a value of enum type is the integer `int` says. It is what a
 *  CO-RE enumerator relocation names (libbpf matches the enum and its enumerators by name
 *  on the kernel it loads on), and what the object's .BTF describes for it. */
export interface EnumType {
  kind: "enum";
  name: string;
  /** The integer type of its values: the enum's size and signedness. */
  int: IntType;
  /** Its enumerators, in declaration order. */
  values: Enumerator[];
}

export interface Enumerator { name: string; value: bigint }

/** A member to lay out: `width` makes it a bitfield (`Bits<T, N>`). */
export interface MemberSpec {
  name: string;
  type: CType;
  width?: number;
}

export const VOID: VoidType = { kind: "void" };

export function int(name: string, size: 1 | 2 | 4 | 8, signed: boolean): IntType {
  return { kind: "int", name, size, signed };
}

export const U8 = int("u8", 1, false);
export const U16 = int("u16", 2, false);
export const U32 = int("u32", 4, false);
export const U64 = int("u64", 8, false);
export const I8 = int("i8", 1, true);
export const I16 = int("i16", 2, true);
export const I32 = int("i32", 4, true);
export const I64 = int("i64", 8, true);
export const BOOL = int("bool", 1, false);

export const INT_TYPES: Record<string, IntType> = {
  u8: U8, u16: U16, u32: U32, u64: U64, i8: I8, i16: I16, i32: I32, i64: I64, bool: BOOL,
};

export function sizeOf(t: CType): number {
  switch (t.kind) {
    case "void": return 0;
    case "int": return t.size;
    case "ptr": return 8;
    case "array": return sizeOf(t.elem) * t.length;
    case "struct": return t.size;
  }
}

export function alignOf(t: CType): number {
  switch (t.kind) {
    case "void": return 1;
    case "int": return t.size;
    case "ptr": return 8;
    case "array": return alignOf(t.elem);
    case "struct": return t.align;
  }
}

/** The width in bits a bitfield of integer type t may have (_Bool: 1). */
export function bitsOf(t: IntType): number {
  return t.name === "bool" ? 1 : t.size * 8;
}

/**
 * Lays out members in declaration order as the System V ABI (gcc) does. An ordinary
 * member starts at its alignment past the last bit in use. A bitfield of type T starts
 * at the next free bit unless it would straddle a boundary of a T-sized, T-aligned
 * storage unit; then it starts at the next unit. Every member's alignment, bitfields'
 * included, counts toward the struct's.
 */
export function layoutStruct(name: string, members: MemberSpec[]): StructType {
  let bit = 0;
  let align = 1;
  const laid: StructField[] = [];
  for (const m of members) {
    const a = alignOf(m.type);
    align = Math.max(align, a);
    if (m.width === undefined) {
      const offset = alignUp(Math.ceil(bit / 8), a);
      laid.push({ name: m.name, type: m.type, offset });
      bit = (offset + sizeOf(m.type)) * 8;
      continue;
    }
    const unitBits = sizeOf(m.type) * 8;
    if (Math.floor(bit / unitBits) !== Math.floor((bit + m.width - 1) / unitBits)) bit = alignUp(bit, unitBits);
    const unit = Math.floor(bit / unitBits) * unitBits;
    laid.push({ name: m.name, type: m.type, offset: unit / 8, bitfield: { bit: bit - unit, width: m.width } });
    bit += m.width;
  }
  return { kind: "struct", name, fields: laid, size: alignUp(Math.ceil(bit / 8), align), align };
}

/** Lays out a union: every member at offset 0; the size is the largest member's (a
 *  bitfield's: its bytes), rounded up to the largest member alignment. */
export function layoutUnion(name: string, members: MemberSpec[]): StructType {
  let size = 0;
  let align = 1;
  const laid: StructField[] = members.map((m) => {
    align = Math.max(align, alignOf(m.type));
    size = Math.max(size, m.width === undefined ? sizeOf(m.type) : Math.ceil(m.width / 8));
    return m.width === undefined ? { name: m.name, type: m.type, offset: 0 } : { name: m.name, type: m.type, offset: 0, bitfield: { bit: 0, width: m.width } };
  });
  return { kind: "struct", union: true, name, fields: laid, size: alignUp(size, align), align };
}

/** The member called `name`, C's way: members of anonymous struct and union members
 *  are members of the enclosing type. Its offset is from the start of `st`. */
export function findField(st: StructType, name: string): StructField | undefined {
  return namedFields(st).find((f) => f.name === name);
}

/** Every member by the name C gives it, anonymous members' members in their place,
 *  offsets from the start of `st`. */
export function namedFields(st: StructType): StructField[] {
  return st.fields.flatMap((f) => f.name === "" && f.type.kind === "struct"
    ? namedFields(f.type).map((g) => ({ ...g, offset: g.offset + f.offset }))
    : [f]);
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function typeToString(t: CType): string {
  switch (t.kind) {
    case "void": return "void";
    case "int": return t.name;
    case "ptr": return `Ptr<${typeToString(t.to)}>`;
    case "array": return t.isString ? `Chars<${t.length}>` : `FixedArray<${typeToString(t.elem)}, ${t.length}>`;
    case "struct": return t.name || anonymousToString(t);
  }
}

/** An anonymous struct or union as TypeScript spells it: `Union<{ a: u32; b: u16 }>`. */
function anonymousToString(t: StructType): string {
  const members = t.fields.map((f) => {
    const type = f.bitfield ? `Bits<${typeToString(f.type)}, ${f.bitfield.width}>` : typeToString(f.type);
    return f.name ? `${f.name}: ${type}` : type;
  });
  const body = `{ ${members.join("; ")} }`;
  return t.union ? `Union<${body}>` : body;
}
