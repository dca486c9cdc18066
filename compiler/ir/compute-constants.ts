// Operations on constants computed at compile time: an alu, neg, ext, setcc or mov whose
// operands are registers each defined once, by a const (or immediates), becomes a const of
// its result, and so on through what it feeds, until nothing changes; and an operation
// with a constant that leaves its other operand as it is (`x + 0`, `x * 1`, `x & -1`,
// a shift by 0) becomes a copy of it, one whose result does not depend on it (`x * 0`,
// `x & 0`, `x % 1`) a const. Such operations appear after other passes: a store forwarded
// to its load (`{ a: 1 }.a`), an inlined function's constant argument (`scale(v, 1)`), a
// constant left in a register by an earlier fold.
// A register defined once is that constant wherever it is read (a read the definition
// does not reach reads an uninitialized register, which the verifier refuses anyway).
// In: an IrFunction, changed in place. Out: the folded instructions replaced; the
// constants nobody reads any more are left for the dead-code sweep, the copies for
// propagate-copies.ts.
// CO-RE constants (`core`) are libbpf's to fill in: never folded, nor anything they feed.

import { aluConstants } from "./arith.js";
import { compareConstants } from "./compare.js";
import { isImm, type Inst, type IrFunction, type Operand, type VReg } from "./ir.js";
import { instDst, writeCounts } from "./uses.js";

export function computeConstants(fn: IrFunction): void {
  const defs = writeCounts(fn);
  const constOf = new Map<VReg, bigint>();
  for (const b of fn.blocks) {
    for (const i of b.insts) if (i.op === "const" && !i.core && defs.get(i.dst) === 1) constOf.set(i.dst, BigInt.asIntN(64, i.value));
  }
  const value = (o: Operand): bigint | undefined => (isImm(o) ? o.imm : constOf.get(o));
  // Passes in layout order until no register becomes newly constant: one, and one to see
  // nothing changes, where definitions come before their readers.
  for (let learned = true; learned;) {
    learned = false;
    for (const b of fn.blocks) {
      const insts = b.insts;
      for (let k = 0; k < insts.length; k++) {
        const i = insts[k]!;
        const d = instDst(i);
        if (d === undefined || i.op === "const") continue;
        const v = resultOf(i, value);
        const next = v !== undefined ? { op: "const", dst: d, value: v } satisfies Inst : identity(i, value);
        if (next === undefined) continue;
        // Its operands are constants wherever it runs: so is its result, here; a register
        // written once holds it wherever it is read.
        if (next.op === "const" && defs.get(d) === 1) { constOf.set(d, next.value); learned = true; }
        insts[k] = { ...next, ...(i.loc ? { loc: i.loc } : {}) };
      }
    }
  }
}

const ALL_ONES = -1n;

/** A 64-bit alu with one constant operand as the copy or the const it comes to. */
function identity(i: Inst, value: (o: Operand) => bigint | undefined): Inst | undefined {
  if (i.op !== "alu" || i.core) return undefined;
  const b = value(i.b);
  const a = value(i.a);
  const copy = (src: Operand): Inst | undefined => (isImm(src) ? undefined : { op: "mov", dst: i.dst, src });
  const zero: Inst = { op: "const", dst: i.dst, value: 0n };
  // The result is 0 whatever the other operand (on the low halves too, for a w32 one).
  if ((b === 0n || a === 0n) && (i.alu === "mul" || i.alu === "and")) return zero;
  if (i.w32) return undefined;
  if (b !== undefined) {
    const k = BigInt.asIntN(64, b);
    if (k === 0n && ["add", "sub", "or", "xor", "lsh", "rsh", "arsh"].includes(i.alu)) return copy(i.a);
    if (k === 1n && ["mul", "udiv", "sdiv"].includes(i.alu)) return copy(i.a);
    if (k === 1n && (i.alu === "umod" || i.alu === "smod")) return zero;
    if (k === ALL_ONES && i.alu === "and") return copy(i.a);
  }
  if (a !== undefined) {
    const k = BigInt.asIntN(64, a);
    if (k === 0n && ["add", "or", "xor"].includes(i.alu)) return copy(i.b);
    if (k === 1n && i.alu === "mul") return copy(i.b);
    if (k === ALL_ONES && i.alu === "and") return copy(i.b);
  }
  return undefined;
}

/** The instruction's result when its operands are known constants. */
function resultOf(i: Inst, value: (o: Operand) => bigint | undefined): bigint | undefined {
  switch (i.op) {
    case "mov": return value(i.src);
    case "alu": {
      if (i.core) return undefined;
      const a = value(i.a), b = value(i.b);
      return a === undefined || b === undefined ? undefined : aluConstants(i.alu, a, b, i.w32);
    }
    case "neg": {
      const a = value(i.a);
      return a === undefined ? undefined : BigInt.asIntN(64, -a);
    }
    case "ext": {
      const a = value(i.src);
      if (a === undefined) return undefined;
      return i.signed ? BigInt.asIntN(i.bits, a) : BigInt.asUintN(i.bits, a);
    }
    case "setcc": {
      const a = value(i.a), b = value(i.b);
      return a === undefined || b === undefined ? undefined : compareConstants(i.cmp, a, b) ? 1n : 0n;
    }
    default: return undefined;
  }
}
