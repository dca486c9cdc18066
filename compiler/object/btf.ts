// The BTF type graph, as plain data, and a builder that numbers and deduplicates types.
// In: types added by the CType converter (btf-ctype.ts) and the object layout
// (object-btf.ts). Out: `types`, where type id N is types[N - 1] (id 0 is void);
// btf-encode.ts turns it into the .BTF wire format.

export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;

export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;

export interface BtfInt { kind: "int"; name: string; size: number; encoding: number; bits: number }
export interface BtfPtr { kind: "ptr"; type: number }
export interface BtfArray { kind: "array"; elem: number; index: number; nelems: number }
/** A member at `bitOffset` bits from the start of its struct; a bitfield has a
 *  `bitfieldSize` (its width), which the encoder writes with the struct's kind_flag. */
export interface BtfMember { name: string; type: number; bitOffset: number; bitfieldSize?: number }
export interface BtfStruct { kind: "struct" | "union"; name: string; size: number; members: BtfMember[] }
export interface BtfFwd { kind: "fwd"; name: string; union: boolean }
/** An ENUM (32-bit values) or ENUM64; `signed` is the kind_flag. */
export interface BtfEnum { kind: "enum" | "enum64"; name: string; size: number; signed: boolean; values: { name: string; value: bigint }[] }
export interface BtfTypedef { kind: "typedef"; name: string; type: number }
/** `const T` / `volatile T`. */
export interface BtfQualifier { kind: "const" | "volatile"; type: number }
export interface BtfParam { name: string; type: number }
export interface BtfFuncProto { kind: "func_proto"; ret: number; params: BtfParam[] }
export interface BtfFunc { kind: "func"; name: string; proto: number; linkage: number }
export interface BtfVar { kind: "var"; name: string; type: number; linkage: number }
export interface BtfVarSecinfo { type: number; offset: number; size: number }
export interface BtfDatasec { kind: "datasec"; name: string; size: number; vars: BtfVarSecinfo[] }
/** `__attribute__((btf_decl_tag(name)))` on the declaration `type` (componentIdx -1) or
 *  on its member or parameter number componentIdx. */
export interface BtfDeclTag { kind: "decl_tag"; name: string; type: number; componentIdx: number }

export type BtfType =
  | BtfInt | BtfPtr | BtfArray | BtfStruct | BtfFwd | BtfEnum | BtfTypedef | BtfQualifier
  | BtfFuncProto | BtfFunc | BtfVar | BtfDatasec | BtfDeclTag;

/** Numbers types from 1 and returns the existing id for a type added twice. */
export class BtfBuilder {
  readonly types: BtfType[] = [];
  private readonly byKey = new Map<string, number>();

  add(t: BtfType): number {
    const key = typeKey(t);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    this.types.push(t);
    const id = this.types.length;
    this.byKey.set(key, id);
    return id;
  }

  /**
   * Takes an id for a type whose definition refers to itself (a struct with a pointer
   * to its own kind); `define` must fill it in before encoding.
   */
  reserve(): number {
    this.types.push({ kind: "fwd", name: "", union: false });
    return this.types.length;
  }

  define(id: number, t: BtfType): void {
    this.types[id - 1] = t;
    const key = typeKey(t);
    if (!this.byKey.has(key)) this.byKey.set(key, id);
  }

  get(id: number): BtfType {
    const t = this.types[id - 1];
    if (!t) throw new Error(`BTF: no type ${id}`);
    return t;
  }

  /** First type with this kind and name, or undefined. */
  findNamed(kind: BtfType["kind"], name: string): number | undefined {
    const i = this.types.findIndex((t) => t.kind === kind && "name" in t && t.name === name);
    return i < 0 ? undefined : i + 1;
  }
}

/** A type's identity for deduplication (enumerator values are bigints). */
function typeKey(t: BtfType): string {
  return JSON.stringify(t, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
