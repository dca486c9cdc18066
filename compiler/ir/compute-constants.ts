// Operations on constants computed at compile time: an alu, neg, ext, setcc or mov whose
// operands are registers each defined once, by a const (or immediates), becomes a const of
// its result, and so on through what it feeds, until nothing changes. Such operations
// appear after other passes: a store forwarded to its load (`{ a: 1 }.a`), an inlined
// function's constant argument, a constant left in a register by an earlier fold.
// A register defined once is that constant wherever it is read (a read the definition
// does not reach reads an uninitialized register, which the verifier refuses anyway).
// In: an IrFunction, changed in place. Out: the folded instructions replaced; the
// constants nobody reads any more are left for the dead-code sweep.
// CO-RE constants (`core`) are libbpf's to fill in: never folded, nor anything they feed.

import { aluConstants } from "./arith.js";
import { compareConstants } from "./compare.js";
import { isImm, type Inst, type IrFunction, type Operand, type VReg } from "./ir.js";
import { instDst } from "./uses.js";

export function computeConstants(fn: IrFunction): void {
  const defs = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) defs.set(d, (defs.get(d) ?? 0) + 1);
    }
  }
  const constOf = new Map<VReg, bigint>();
  for (const b of fn.blocks) {
    for (const i of b.insts) if (i.op === "const" && !i.core && defs.get(i.dst) === 1) constOf.set(i.dst, BigInt.asIntN(64, i.value));
  }
  const value = (o: Operand): bigint | undefined => (isImm(o) ? o.imm : constOf.get(o));
  for (let changed = true; changed;) {
    changed = false;
    for (const b of fn.blocks) {
      b.insts = b.insts.map((i) => {
        const d = instDst(i);
        if (d === undefined || constOf.has(d) || defs.get(d) !== 1) return i;
        const v = resultOf(i, value);
        if (v === undefined) return i;
        constOf.set(d, v);
        changed = true;
        return { op: "const", dst: d, value: v, ...(i.loc ? { loc: i.loc } : {}) } satisfies Inst;
      });
    }
  }
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
