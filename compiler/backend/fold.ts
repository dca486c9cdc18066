// IR clean-up before instruction selection: constants folded into immediate operands, and
// dead pure instructions removed.
// In: an IrFunction (not modified). Out: a copy in which
//   - a register defined exactly once, by `const`, is replaced by an immediate wherever an
//     operand may be one (alu/setcc/br right operand, store source, call argument, return);
//   - a commutative alu or a compare with the constant on the left is swapped;
//   - `mov d, c` of such a constant becomes `const d`;
//   - a setcc whose only reader is the branch right after it (`c = a < b; if c != 0`)
//     becomes the branch's own compare (`if a < b`), and so does an `and` tested against 0
//     (`c = a & b; if c == 0` is `if a & b` with the targets swapped: JSET);
//   - const/mov/alu/neg/ext/setcc/load/addr/symref whose result is never read are deleted.
// A register defined once is constant wherever it is read: a read not reached by the
// definition reads an uninitialized register, which the verifier rejects anyway.

import {
  isImm, type AluOp, type Block, type CmpOp, type Inst, type IrFunction, type Operand,
  type VReg,
} from "../ir/ir.js";
import { copyInst } from "../ir/copy.js";
import { instDst, instUses, removeDeadCode, termUses } from "../ir/uses.js";

const COMMUTATIVE: ReadonlySet<AluOp> = new Set<AluOp>(["add", "mul", "and", "or", "xor"]);

/** a cmp b  ==  b swapped(cmp) a */
export const SWAPPED_CMP: Record<CmpOp, CmpOp> = {
  eq: "eq", ne: "ne", set: "set",
  ugt: "ult", uge: "ule", ult: "ugt", ule: "uge",
  sgt: "slt", sge: "sle", slt: "sgt", sle: "sge",
};

export function foldConstants(fn: IrFunction): IrFunction {
  const blocks: Block[] = fn.blocks.map((b) => ({ id: b.id, insts: b.insts.map(copyInst), term: { ...b.term } }));

  // Registers defined once, by a const.
  const defs = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  const constOf = new Map<VReg, bigint>();
  for (const b of blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d === undefined) continue;
      defs.set(d, (defs.get(d) ?? 0) + 1);
      if (i.op === "const" && !i.core) constOf.set(d, BigInt.asIntN(64, i.value));
    }
  }
  for (const r of [...constOf.keys()]) if (defs.get(r) !== 1) constOf.delete(r);

  const fold = (o: Operand): Operand => {
    if (isImm(o)) return o;
    const c = constOf.get(o);
    return c === undefined ? o : { imm: c };
  };

  for (const b of blocks) {
    b.insts = b.insts.map((i): Inst => {
      switch (i.op) {
        case "mov": {
          const c = constOf.get(i.src);
          return c === undefined ? i : { op: "const", dst: i.dst, value: c, ...(i.loc ? { loc: i.loc } : {}) };
        }
        case "alu": {
          const bb = fold(i.b);
          if (!i.core && !isImm(bb) && COMMUTATIVE.has(i.alu) && constOf.has(i.a)) {
            return { ...i, a: bb, b: { imm: constOf.get(i.a)! } };
          }
          return { ...i, b: bb };
        }
        case "setcc": {
          const bb = fold(i.b);
          if (!isImm(bb) && constOf.has(i.a)) return { ...i, cmp: SWAPPED_CMP[i.cmp], a: bb, b: { imm: constOf.get(i.a)! } };
          return { ...i, b: bb };
        }
        case "store": return { ...i, src: fold(i.src) };
        case "call": return { ...i, args: i.args.map(fold) };
        default: return i;
      }
    });
    const t = b.term;
    if (t.op === "br") {
      const bb = fold(t.b);
      b.term = !isImm(bb) && constOf.has(t.a)
        ? { ...t, cmp: SWAPPED_CMP[t.cmp], a: bb, b: { imm: constOf.get(t.a)! } }
        : { ...t, b: bb };
    } else if (t.op === "ret") {
      b.term = { ...t, value: fold(t.value) };
    }
  }

  fuseCompareBranches(blocks, defs);

  // Dead code: folding leaves constants nobody reads any more.
  removeDeadCode(blocks);

  return { ...fn, blocks };
}

/** `d = a cmp b` (or `d = a & b`, against 0 only) as the last instruction of a block whose
 *  branch tests d against 0 or 1, with d defined and read nowhere else: the branch compares
 *  a and b itself (swapping its targets for "d == 0"), and the setcc or and is left to
 *  dead-code elimination. */
function fuseCompareBranches(blocks: Block[], defs: Map<VReg, number>): void {
  const reads = new Map<VReg, number>();
  for (const b of blocks) {
    for (const i of b.insts) for (const u of instUses(i)) reads.set(u, (reads.get(u) ?? 0) + 1);
    for (const u of termUses(b.term)) reads.set(u, (reads.get(u) ?? 0) + 1);
  }
  for (const b of blocks) {
    const last = b.insts[b.insts.length - 1];
    const t = b.term;
    if ((last?.op !== "setcc" && last?.op !== "alu") || t.op !== "br" || t.a !== last.dst || !isImm(t.b)) continue;
    if ((t.cmp !== "eq" && t.cmp !== "ne") || (t.b.imm !== 0n && t.b.imm !== 1n)) continue;
    if (defs.get(last.dst) !== 1 || reads.get(last.dst) !== 1 || last.a === last.dst || last.b === last.dst) continue;
    // An and tested against 0 only (the full 64 bits: not a 32-bit or relocated one).
    if (last.op === "alu" && (last.alu !== "and" || last.w32 || last.core || t.b.imm !== 0n)) continue;
    const whenTrue = (t.cmp === "ne") === (t.b.imm === 0n);
    b.term = {
      op: "br", cmp: last.op === "alu" ? "set" : last.cmp, a: last.a, b: last.b,
      then: whenTrue ? t.then : t.else, else: whenTrue ? t.else : t.then,
      ...(t.loc ? { loc: t.loc } : {}),
    };
  }
}
