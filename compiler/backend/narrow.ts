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
// parameter nothing redefines. An extension of an extension that goes reads the first one's
// source in its turn, which must hold in the same way.
// Compares with another extension are settled together: candidates are dropped until
// every one left has only readers the ones left allow.

import { isImm, type CmpOp, type Inst, type IrFunction, type Operand, type Terminator, type VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";

export interface Narrowed { src: VReg; bits: 8 | 16 | 32; signed: boolean }

export type NarrowMap = ReadonlyMap<VReg, Narrowed>;

const TO_UNSIGNED: Partial<Record<CmpOp, CmpOp>> = { sgt: "ugt", sge: "uge", slt: "ult", sle: "ule" };
const SIGNED_CMPS: ReadonlySet<CmpOp> = new Set<CmpOp>(["sgt", "sge", "slt", "sle"]);
const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n, U32_MAX = (1n << 32n) - 1n;

/** `a cmp b` on the 64-bit extensions as the same-outcome compare of the low 32 bits of
 *  their sources (b an s32 immediate), or undefined where the outcomes may differ. A
 *  zero-extended value is never negative: its signed compares become unsigned ones. A
 *  register of `upperZero` (upperZeroRegisters) counts as a zero-extension of itself. */
export function compare32(cmp: CmpOp, a: VReg, b: Operand, narrow: NarrowMap, upperZero?: ReadonlySet<VReg>): { cmp: CmpOp; a: VReg; b: Operand } | undefined {
  // A value whose upper half is zero by its definition is the zero-extension of itself.
  const of = (r: VReg): Narrowed | undefined => narrow.get(r) ?? (upperZero?.has(r) ? { src: r, bits: 32, signed: false } : undefined);
  const na = of(a);
  if (na?.bits !== 32) return undefined;
  const asUnsigned = na.signed ? cmp : TO_UNSIGNED[cmp] ?? cmp;
  if (!isImm(b)) {
    const nb = of(b);
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

/** Registers defined once by an instruction that leaves their upper 32 bits zero: a load
 *  of at most 4 bytes, a zero-extension from at most 32 bits, a 32-bit ALU operation, a
 *  logical right shift by 32 or more, an and with a 32-bit mask, a compare's 0 or 1. Defined once, they hold such a value wherever they are read. */
export function upperZeroRegisters(fn: IrFunction): Set<VReg> {
  const defs = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  const zero = new Set<VReg>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d === undefined) continue;
      defs.set(d, (defs.get(d) ?? 0) + 1);
      const upperZero = (i.op === "load" && i.size <= 4) || (i.op === "ext" && !i.signed) || i.op === "setcc" || (i.op === "alu" && !i.core && (
        i.w32 === true
        || (i.alu === "rsh" && isImm(i.b) && i.b.imm >= 32n && i.b.imm < 64n)
        || (i.alu === "and" && isImm(i.b) && BigInt.asUintN(64, i.b.imm) <= U32_MAX)));
      if (upperZero) zero.add(d);
    }
  }
  for (const r of zero) if (defs.get(r) !== 1) zero.delete(r);
  return zero;
}

function allows(r: Reader, d: VReg, n: Narrowed, narrow: NarrowMap, upperZero: ReadonlySet<VReg>): boolean {
  switch (r.op) {
    case "store": return r.src === d && !("reg" in r.base && r.base.reg === d) && r.size * 8 <= n.bits;
    case "ext": return r.bits <= n.bits;
    case "alu": return r.w32 === true && !r.core && n.bits === 32;
    // With d on the right, a must be such an extension too (IR compares have a register on
    // the left), and compare32 checks both.
    case "setcc": case "br": return compare32(r.cmp, r.a, r.b, narrow, upperZero) !== undefined;
    default: return false;
  }
}

export function narrowExtensions(fn: IrFunction, upperZero: ReadonlySet<VReg>): NarrowMap {
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
  /** Whether s, read in d's place, still holds its value wherever d is read: s is defined
   *  once, earlier in d's block, and d is not read between the two (where d would still be
   *  the previous s's extension); or s is a parameter nothing redefines. */
  const holds = (s: VReg, d: VReg): boolean => {
    const at = defs.get(d)![0]!, src = defs.get(s);
    if (src === undefined) return fn.params.includes(s);
    return src.length === 1 && src[0]!.block === at.block && src[0]!.index < at.index
      && !(readAt.get(d) ?? []).some((r) => r.block === at.block && r.index > src[0]!.index && r.index < at.index);
  };
  const candidates = new Map<VReg, Narrowed>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op !== "ext" || defs.get(i.dst)?.length !== 1 || i.dst === i.src) continue;
      if (holds(i.src, i.dst)) candidates.set(i.dst, { src: i.src, bits: i.bits, signed: i.signed });
    }
  }
  // An extension of a left-out extension reads what that one reads, in the end: the low
  // bits its readers need are the same there (each extension keeps at least as many).
  const root = (d: VReg): VReg => {
    let s = candidates.get(d)!.src;
    for (let n = candidates.get(s); n; n = candidates.get(s)) s = n.src;
    return s;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [d, n] of candidates) {
      if (holds(root(d), d) && (readers.get(d) ?? []).every((r) => allows(r, d, n, candidates, upperZero))) continue;
      candidates.delete(d);
      changed = true;
    }
  }
  return new Map([...candidates].map(([d, n]) => [d, { ...n, src: root(d) }]));
}
