// The fuzzer's own syntax tree of a generated probe program: what generate.ts builds,
// print.ts turns into TypeScript for bpftsc, and reference.ts evaluates. It is the
// fuzzer's, not the compiler's: the reference never sees TypeScript.

export type IntName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
export type ScalarName = IntName | "bool";

export const INT_NAMES: readonly IntName[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"];

export function bitsOf(t: IntName): number {
  return Number(t.slice(1));
}

export function isSigned(t: IntName): boolean {
  return t.startsWith("i");
}

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";
export type CmpOp = "===" | "!==" | "<" | "<=" | ">" | ">=";

/** Something that can be read and written: a scalar variable, a struct local's field,
 *  or an element of a FixedArray (local or global) at a constant or run-time index. */
export type LValue =
  | { k: "var"; name: string }
  | { k: "field"; base: string; field: string }
  | { k: "elem"; arr: string; index: Expr };

export type Expr =
  /** An untyped integer literal, 0 <= v < 2^64 (negative values are unary minus of one). */
  | { k: "lit"; v: bigint }
  | { k: "bool"; v: boolean }
  | { k: "ref"; lv: LValue }
  | { k: "bin"; op: ArithOp; l: Expr; r: Expr }
  | { k: "neg" | "not" | "inv"; e: Expr }
  | { k: "cmp"; op: CmpOp; l: Expr; r: Expr }
  | { k: "logic"; op: "&&" | "||"; l: Expr; r: Expr }
  | { k: "cond"; c: Expr; t: Expr; f: Expr }
  | { k: "cast"; to: IntName; e: Expr }
  /** A call; `struct` names the struct local passed (by reference) to its struct parameter. */
  | { k: "call"; fn: string; args: Expr[]; struct?: string }
  /** `m.get(key) ?? fallback` on a HashMap. */
  | { k: "mapget"; map: string; key: Expr; fallback: Expr };

export type AssignOp = "=" | `${ArithOp}=`;

export type Stmt =
  | { k: "let"; name: string; type: ScalarName; init: Expr; isConst: boolean }
  /** A struct local: a copy, or a literal of `init` (in field order) listing its members
   *  in `order` (field indexes; declaration order if absent), the order TypeScript
   *  evaluates them in. */
  | { k: "struct"; name: string; struct: string; init: Expr[] | { copyOf: string }; order?: number[] }
  /** A FixedArray local: every element given, or none (`let r!: FixedArray<T, N>`, zeroed). */
  | { k: "array"; name: string; elem: IntName; len: number; init: Expr[] }
  | { k: "assign"; lv: LValue; op: AssignOp; e: Expr }
  | { k: "incdec"; lv: LValue; op: "++" | "--" }
  | { k: "if"; c: Expr; then: Stmt[]; else?: Stmt[] }
  /** `for (let v: T = start; v OP bound [&& extra]; v += step)` (step may be negative). */
  | { k: "for"; v: string; type: IntName; start: bigint; op: "<" | "<=" | ">" | ">="; bound: bigint; step: bigint; extra?: Expr; body: Stmt[] }
  /** `let v: T = start; while (v OP bound) { body; v += step }` (or a do-while): no continue. */
  | { k: "while"; v: string; type: IntName; start: bigint; op: "<" | "<=" | ">" | ">="; bound: bigint; step: bigint; body: Stmt[]; isDo: boolean }
  | { k: "break" | "continue" }
  | { k: "return"; e?: Expr }
  /** out.set(call * slots + slot, e): the observation the test compares. */
  | { k: "out"; slot: number; e: Expr }
  | { k: "expr"; e: Expr }
  /** m.set(key, value), m.add(key, value), m.delete(key) on a HashMap. */
  | { k: "mapset" | "mapadd"; map: string; key: Expr; value: Expr }
  | { k: "mapdel"; map: string; key: Expr };

export interface StructDecl {
  name: string;
  fields: { name: string; type: ScalarName }[];
}

export interface Helper {
  name: string;
  /** A struct parameter (passed by reference), before the integer ones. */
  structParam?: { name: string; struct: string };
  params: { name: string; type: IntName }[];
  ret: IntName | "void";
  noinline: boolean;
  body: Stmt[];
}

export interface GlobalDecl {
  name: string;
  /** A scalar global, or a FixedArray<elem, init.length> global. */
  type: ScalarName | { elem: IntName };
  init: bigint[];
}

export interface MapDecl {
  name: string;
  key: IntName;
  value: IntName;
}

/** Entries of every HashMap: a program sets, adds and deletes only a few keys. */
export const MAP_CAPACITY = 512;

export interface SettingDecl {
  name: string;
  type: ScalarName;
  /** The initializer in the source, and the value user space sets before load (if any). */
  init: bigint;
  set?: bigint;
}

export interface Program {
  seed: number;
  structs: StructDecl[];
  /** Top-level integer constants (compile-time, untyped). */
  consts: { name: string; v: bigint }[];
  globals: GlobalDecl[];
  settings: SettingDecl[];
  maps: MapDecl[];
  helpers: Helper[];
  /** The handler's fetched parameters: names of the target's parameters (target.ts), declared types. */
  params: { name: string; type: ScalarName }[];
  body: Stmt[];
  /** Out slots per call. */
  slots: number;
  /** The values the target passes in each call, one per target parameter (target.ts), as 64-bit patterns. */
  calls: bigint[][];
}
