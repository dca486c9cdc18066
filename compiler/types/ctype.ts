// C-level types of the probe language, shared by every stage.
// In: nothing. Out: the CType model (integers, bool, pointers, fixed arrays, structs)
// with C layout (size, alignment, field offsets), which the frontend builds from
// TypeScript declarations and the BTF writer turns into .BTF types.

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
  name: string;
  type: CType;
  /** Byte offset inside the struct. */
  offset: number;
}

export interface StructType {
  kind: "struct";
  name: string;
  fields: StructField[];
  size: number;
  align: number;
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

/** Lays out fields in declaration order with C alignment rules. */
export function layoutStruct(name: string, fields: { name: string; type: CType }[]): StructType {
  let offset = 0;
  let align = 1;
  const laid: StructField[] = [];
  for (const f of fields) {
    const a = alignOf(f.type);
    offset = alignUp(offset, a);
    laid.push({ name: f.name, type: f.type, offset });
    offset += sizeOf(f.type);
    align = Math.max(align, a);
  }
  return { kind: "struct", name, fields: laid, size: alignUp(offset, align), align };
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
    case "struct": return t.name;
  }
}
