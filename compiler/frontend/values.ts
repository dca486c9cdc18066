// The frontend's view of a value while lowering: where it lives (register, constant,
// BPF memory, probed memory) and its C type; and the lowering state shared by the
// expression, statement and call lowerers.
// In: lowering code. Out: IR emitted through the builder to read, narrow and store values.

import type ts from "typescript";
import type { IrBuilder } from "../ir/builder.js";
import type { Base, Block, Operand, VReg } from "../ir/ir.js";
import { I64, U64, sizeOf, type Bitfield, type CType, type IntType, type PtrType } from "../types/ctype.js";
import { loadBitfield } from "./bitfields.js";
import type { FrontendContext } from "./context.js";
import type { FunctionInfo } from "./functions.js";
import type { GlobalInfo } from "./globals.js";
import type { MapInfo, ModuleInfo } from "./module.js";
import type { TypeResolver } from "./types.js";

export type Value =
  /** A scalar in a register, already extended to 64 bits per its type. */
  | { kind: "int"; type: IntType; reg: VReg }
  /** A compile-time constant; `type` is undefined for an untyped literal. */
  | { kind: "const"; type: IntType | undefined; value: bigint }
  /** An address in the probed code's memory (reads go through probe-read helpers). */
  | { kind: "ptr"; type: PtrType; reg: VReg }
  /** BPF-addressable memory: a stack slot, a checked map value pointer, or a global;
   *  `readOnly` for a load-time setting (in .rodata, which BPF code cannot write). A
   *  bitfield member is its storage unit's offset and the Bitfield. */
  | { kind: "mem"; type: CType; base: Base; off: number; readOnly?: boolean; bitfield?: Bitfield }
  /** A struct or array in the probed code's memory at an address (not yet read);
   *  `object`, when known, is where it lies in the struct a Ptr points to. */
  | { kind: "probed"; type: CType; reg: VReg; space: "user" | "kernel"; object?: ObjectPart }
  /** A map value reference that may be null (a map get not yet checked); `map` is the
   *  map it points into. */
  | { kind: "maybe"; type: CType; reg: VReg; map?: MapInfo }
  | { kind: "void" };

/** A location `off` bytes into an object of the probed memory `size` bytes long (the
 *  struct a Ptr points to, laid out at compile time). */
export interface ObjectPart { off: number; size: number }

export type Binding =
  | { kind: "reg"; reg: VReg; type: IntType | PtrType }
  | { kind: "mem"; type: CType; base: Base; off: number; readOnly?: boolean }
  | { kind: "maybe"; reg: VReg; type: CType; map?: MapInfo }
  | { kind: "const"; value: bigint; type: IntType | undefined }
  | { kind: "map"; map: MapInfo }
  /** A setting or global of the file: memory in its data section. */
  | { kind: "global"; global: GlobalInfo };

/** A lowered loop: its blocks are those placed from `head` up to `exit`; `counter` is the
 *  register of its counter; `latch` the block that jumps back to the head; `carried` the
 *  variables bound when the loop began that hold integers, in registers or in stack slots
 *  (forget-carried.ts). */
export interface LoopRegion {
  head: Block; exit: Block; latch: Block; trips: number; counter: VReg | undefined; node: ts.Node;
  carried: { regs: VReg[]; memory: { slot: number; off: number; size: number }[] };
}

export interface InlineFrame {
  exit: Block;
  result: VReg;
  type: IntType | undefined;
}

/** What is being lowered: a program (whose first argument is its context) or a
 *  subprogram (which returns `ret`, or nothing). */
export type FunctionKind = { kind: "program"; ctx: VReg } | { kind: "subprogram"; ret: IntType | undefined };

/** The subprograms the lowered code calls, each compiled once per address space its
 *  callers' Ptr values point into. */
export interface SubprogramCalls {
  /** The symbol of `fn` compiled for `space`, lowered later. */
  request(fn: FunctionInfo, space: "user" | "kernel"): string;
}

/** Constant strings the lowered code passes by address: `symbolFor` gives the data
 *  symbol of a read-only NUL-terminated copy of `text`, and its size with the NUL
 *  (static-strings.ts). */
export interface StaticStrings {
  symbolFor(text: string): { symbol: string; size: number };
}

export interface Lowerer {
  ctx: FrontendContext;
  mod: ModuleInfo;
  types: TypeResolver;
  b: IrBuilder;
  fn: FunctionKind;
  subprograms: SubprogramCalls;
  strings: StaticStrings;
  env: Map<ts.Symbol, Binding>;
  /** Which address space Ptr values of this program point into. */
  space: "user" | "kernel";
  /** Innermost last: the targets of break (loops and switches) and continue (loops). */
  loops: { brk: Block; cont?: Block }[];
  /** Every loop lowered so far: its blocks are those placed from `head` up to `exit`. */
  loopRegions: LoopRegion[];
  inline: InlineFrame[];
  /** fetchFailed() flags of parameters whose fetch can fault. */
  faults: Map<ts.Symbol, VReg>;
  /** Warnings this program gives once however many parameters need them, by topic. */
  warned: Set<string>;
  /** Registers holding the records rb.reserve() gave (reservations.ts follows them). */
  reservations: Map<VReg, Reservation>;
  /** An 8-byte slot that probe reads land in before they are loaded into a register. */
  scratch?: number;
}

/** A record reserved in a ring buffer: the ring and the line of the reserve() call. */
export interface Reservation { ring: string; line: number }

/** The program's context pointer (the fetch prologue reads the probed values from it). */
export function programContext(L: Lowerer): VReg {
  if (L.fn.kind !== "program") throw new Error("internal: a subprogram has no context");
  return L.fn.ctx;
}

/** The memory a pointer points into: its type's, if the type says, else the probe's. */
export function spaceOf(L: Lowerer, p: PtrType): "user" | "kernel" {
  return p.explicit ? p.space : L.space;
}

/** A register holding a map's address (an ld_imm64 libbpf points at the map). */
export function mapRef(L: Lowerer, map: MapInfo): VReg {
  const r = L.b.newReg();
  L.b.emit({ op: "symref", dst: r, kind: "map", symbol: map.name });
  return r;
}

export function scratchSlot(L: Lowerer): number {
  if (L.scratch === undefined) L.scratch = L.b.newSlot(8, 8, "probe read");
  return L.scratch;
}

export function constVal(value: bigint, type?: IntType): Value {
  return { kind: "const", type, value: type ? truncate(value, type) : value };
}

/** The type of an integer literal, or of a top-level constant, of this value (README
 *  "Integer semantics"): from 2^63 on a u64, as C's 0xffffffffffffffff is unsigned, in
 *  every operator; below, none: it takes the type its context expects, or promotes as
 *  an i64. */
export function literalType(value: bigint): IntType | undefined {
  return value >= 1n << 63n ? U64 : undefined;
}

/** Wraps a 64-bit-or-wider value to a type's width and signedness. */
export function truncate(v: bigint, t: IntType): bigint {
  const bits = t.size * 8;
  return t.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** Type of a scalar value (untyped constants, below 2^63, count as i64). */
export function intTypeOf(v: Value): IntType {
  if (v.kind === "int") return v.type;
  if (v.kind === "const") return v.type ?? I64;
  if (v.kind === "mem" && v.type.kind === "int") return v.type;
  return U64;
}

/** Materialises a scalar (int, const, bool, pointer, or scalar memory) in a register. */
export function toReg(L: Lowerer, v: Value): VReg {
  switch (v.kind) {
    case "int":
    case "ptr":
      return v.reg;
    case "const": {
      const r = L.b.newReg();
      L.b.emit({ op: "const", dst: r, value: BigInt.asIntN(64, v.value) });
      return r;
    }
    case "mem": {
      const s = loadScalar(L, v);
      return toReg(L, s);
    }
    default:
      throw new Error(`internal: toReg of ${v.kind}`);
  }
}

export function toOperand(L: Lowerer, v: Value): Operand {
  return v.kind === "const" ? { imm: BigInt.asIntN(64, v.value) } : toReg(L, v);
}

/** Reads a scalar (or pointer) held in BPF memory. */
export function loadScalar(L: Lowerer, v: Extract<Value, { kind: "mem" }>): Value {
  const t = v.type;
  if (t.kind === "ptr") {
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: v.base, off: v.off, size: 8 });
    return { kind: "ptr", type: t, reg: r };
  }
  if (t.kind !== "int") return v;
  if (v.bitfield) return { kind: "int", type: t, reg: loadBitfield(L.b, v.base, v.off, t, v.bitfield) };
  const r = L.b.newReg();
  L.b.emit({ op: "load", dst: r, base: v.base, off: v.off, size: t.size });
  if (t.signed && t.size < 8) {
    const s = L.b.newReg();
    L.b.emit({ op: "ext", dst: s, src: r, bits: (t.size * 8) as 8 | 16 | 32, signed: true });
    return { kind: "int", type: t, reg: s };
  }
  return { kind: "int", type: t, reg: r };
}

/** A scalar value as an int/const/ptr (memory scalars loaded). */
export function scalar(L: Lowerer, v: Value): Value {
  return v.kind === "mem" && (v.type.kind === "int" || v.type.kind === "ptr") ? loadScalar(L, v) : v;
}

/** True when the value's bits, read as a signed 64-bit number, can never be negative. */
export function nonNegative(v: Value): boolean {
  if (v.kind === "const") return BigInt.asIntN(64, v.value) >= 0n;
  const t = intTypeOf(v);
  return !t.signed && t.size < 8;
}

/** Does storing a value of type `from` into `to` need an explicit truncation/extension? */
function needsExt(from: IntType, to: IntType): boolean {
  if (to.size === 8) return false;
  if (from.size < to.size) return from.signed && !to.signed;
  return !(from.size === to.size && from.signed === to.signed);
}

/** Narrows a scalar to a declared integer type, as a register or constant. */
export function narrow(L: Lowerer, v: Value, to: IntType): Value {
  v = scalar(L, v);
  if (v.kind === "const") return constVal(v.value, to);
  if (v.kind === "ptr") return { kind: "int", type: to, reg: v.reg };
  if (v.kind !== "int") throw new Error(`internal: narrow of ${v.kind}`);
  if (!needsExt(v.type, to)) return { kind: "int", type: to, reg: v.reg };
  const r = L.b.newReg();
  L.b.emit({ op: "ext", dst: r, src: v.reg, bits: (to.size * 8) as 8 | 16 | 32, signed: to.signed });
  return { kind: "int", type: to, reg: r };
}

/** The address of BPF memory as a register (for helper arguments). */
export function addressOf(L: Lowerer, m: Extract<Value, { kind: "mem" }>): VReg {
  const r = L.b.newReg();
  if ("slot" in m.base) {
    L.b.emit({ op: "addr", dst: r, slot: m.base.slot, off: m.off });
  } else if (m.off === 0) {
    return m.base.reg;
  } else {
    L.b.emit({ op: "alu", alu: "add", dst: r, a: m.base.reg, b: { imm: BigInt(m.off) } });
  }
  return r;
}

/** A fresh zero-initialised stack slot holding a value of type t. */
export function newLocal(L: Lowerer, t: CType, name: string): Extract<Value, { kind: "mem" }> {
  const size = sizeOf(t);
  const slot = L.b.newSlot(size, Math.min(8, Math.max(1, alignment(t))), name);
  return { kind: "mem", type: t, base: { slot }, off: 0 };
}

function alignment(t: CType): number {
  return t.kind === "struct" ? t.align : t.kind === "array" ? alignment(t.elem) : Math.max(1, sizeOf(t));
}
