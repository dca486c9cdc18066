// Extensions whose readers need only the low bits of what was extended, so that instruction
// selection can leave the extension out: `d = sext32 s; if d s< 1` becomes `if w_s s< 1`
// (BPF_JMP32), `store32 d` stores s, `d +32 x` adds s. Found on the folded IR.
// In: an IrFunction. Out: per extension result d that can go, its source and extension.
//
// d can go when every reader is one of: a store of at most `bits` bits of it; an extension
// of at most `bits` bits; a 32-bit ALU operation (bits 32); a compare that compare32 turns
// into a 32-bit compare of the sources (bits 32: the other operand an immediate in range,
// or another such extension of the same signedness). And s must still hold its value
// wherever d is read: d and s are each defined once, s earlier in the extension's block
// with no read of d between them (so coming back to that block redefines both), or s is a
// parameter nothing redefines.
// Compares with another extension are settled together: candidates are dropped until
// every one left has only readers the ones left allow, and none extends another one left.

import { isImm, type CmpOp, type Inst, type IrFunction, type Operand, type Terminator, type VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";

export interface Narrowed { src: VReg; bits: 8 | 16 | 32; signed: boolean }

export type NarrowMap = ReadonlyMap<VReg, Narrowed>;

const TO_UNSIGNED: Partial<Record<CmpOp, CmpOp>> = { sgt: "ugt", sge: "uge", slt: "ult", sle: "ule" };
const SIGNED_CMPS: ReadonlySet<CmpOp> = new Set<CmpOp>(["sgt", "sge", "slt", "sle"]);
const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n, U32_MAX = (1n << 32n) - 1n;

/** `a cmp b` on the 64-bit extensions as the same-outcome compare of the low 32 bits of
 *  their sources (b an s32 immediate), or undefined where the outcomes may differ. A
 *  zero-extended value is never negative: its signed compares become unsigned ones. */
export function compare32(cmp: CmpOp, a: VReg, b: Operand, narrow: NarrowMap): { cmp: CmpOp; a: VReg; b: Operand } | undefined {
  const na = narrow.get(a);
  if (na?.bits !== 32) return undefined;
  const asUnsigned = na.signed ? cmp : TO_UNSIGNED[cmp] ?? cmp;
  if (!isImm(b)) {
    const nb = narrow.get(b);
    if (nb?.bits !== 32 || nb.signed !== na.signed) return undefined;
    return { cmp: asUnsigned, a: na.src, b: nb.src };
  }
  const c = BigInt.asIntN(64, b.imm);
  // The immediates for which both compares agree on every value of the extension's range.
  const inRange = na.signed
    ? SIGNED_CMPS.has(cmp) || cmp === "eq" || cmp === "ne" ? c >= S32_MIN && c <= S32_MAX : c >= 0n && c <= S32_MAX
    : SIGNED_CMPS.has(cmp) ? c >= 0n && c <= S32_MAX : c >= 0n && c <= U32_MAX;
  return inRange ? { cmp: asUnsigned, a: na.src, b: { imm: BigInt.asIntN(32, c) } } : undefined;
}

type Reader = Inst | Terminator;

function allows(r: Reader, d: VReg, n: Narrowed, narrow: NarrowMap): boolean {
  switch (r.op) {
    case "store": return r.src === d && !("reg" in r.base && r.base.reg === d) && r.size * 8 <= n.bits;
    case "ext": return r.bits <= n.bits;
    case "alu": return r.w32 === true && !r.core && n.bits === 32;
    // With d on the right, a must be such an extension too (IR compares have a register on
    // the left), and compare32 checks both.
    case "setcc": case "br": return compare32(r.cmp, r.a, r.b, narrow) !== undefined;
    default: return false;
  }
}

export function narrowExtensions(fn: IrFunction): NarrowMap {
  const defs = new Map<VReg, { block: number; index: number }[]>();
  const readers = new Map<VReg, Reader[]>();
  /** Where in each block a register is read: block id, then instruction index. */
  const readAt = new Map<VReg, { block: number; index: number }[]>();
  const push = <T>(m: Map<VReg, T[]>, r: VReg, v: T): void => { const l = m.get(r); if (l) l.push(v); else m.set(r, [v]); };
  for (const b of fn.blocks) {
    b.insts.forEach((i, index) => {
      const d = instDst(i);
      if (d !== undefined) push(defs, d, { block: b.id, index });
      for (const u of new Set(instUses(i))) { push(readers, u, i); push(readAt, u, { block: b.id, index }); }
    });
    for (const u of new Set(termUses(b.term))) push(readers, u, b.term);
  }
  const candidates = new Map<VReg, Narrowed>();
  for (const b of fn.blocks) {
    b.insts.forEach((i, index) => {
      if (i.op !== "ext" || defs.get(i.dst)?.length !== 1 || i.dst === i.src) return;
      const src = defs.get(i.src);
      // Not read between the two, where d would still be the previous s's extension.
      const stable = src === undefined
        ? fn.params.includes(i.src)
        : src.length === 1 && src[0]!.block === b.id && src[0]!.index < index
          && !(readAt.get(i.dst) ?? []).some((r) => r.block === b.id && r.index > src[0]!.index && r.index < index);
      if (stable) candidates.set(i.dst, { src: i.src, bits: i.bits, signed: i.signed });
    });
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [d, n] of candidates) {
      // Not one of a chain (`d = sext32 s; s = zext32 t`): instruction selection reads one
      // source for d, which must be a register still there. d stays, reading t.
      if (!candidates.has(n.src) && (readers.get(d) ?? []).every((r) => allows(r, d, n, candidates))) continue;
      candidates.delete(d);
      changed = true;
    }
  }
  return candidates;
}
