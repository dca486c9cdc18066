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
// with no read of d between them (so coming back to that block redefines both), or in a
// block no run reaches twice that dominates d's, or s is a parameter nothing redefines.
// An extension of an extension that goes reads the first one's source in its turn, which
// must hold in the same way.
// Compares with another extension are settled together: candidates are dropped until
// every one left has only readers the ones left allow.

import { isImm, type CmpOp, type Inst, type IrFunction, type Operand, type Terminator, type VReg } from "../ir/ir.js";
import { blocksOnCycles } from "../ir/cycles.js";
import { dominators } from "../ir/dominators.js";
import { forEachDistinct, instDst, instUses, termUses } from "../ir/uses.js";
import type { Range } from "./value-ranges.js";

export interface Narrowed { src: VReg; bits: 8 | 16 | 32; signed: boolean }

export type NarrowMap = ReadonlyMap<VReg, Narrowed>;

const TO_UNSIGNED: Partial<Record<CmpOp, CmpOp>> = { sgt: "ugt", sge: "uge", slt: "ult", sle: "ule" };
const SIGNED_CMPS: ReadonlySet<CmpOp> = new Set<CmpOp>(["sgt", "sge", "slt", "sle"]);
const S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n, U32_MAX = (1n << 32n) - 1n;

/** `a cmp b` on the 64-bit extensions as the same-outcome compare of the low 32 bits of
 *  their sources (b an s32 immediate), or undefined where the outcomes may differ. A
 *  zero-extended value is never negative: its signed compares become unsigned ones. The
 *  other register of a compare with an extension may be a value that is its own extension
 *  of that signedness, by what `range` (value-ranges.ts) knows of it. */
export function compare32(cmp: CmpOp, a: VReg, b: Operand, narrow: NarrowMap, range?: (r: VReg) => Range): { cmp: CmpOp; a: VReg; b: Operand } | undefined {
  if (!isImm(b)) {
    const fa = narrow.get(a), fb = narrow.get(b);
    for (const signed of new Set([fa?.signed, fb?.signed])) {
      if (signed === undefined) continue;
      // An extension of this signedness, or a value that is its own (a 32-bit load, pid()).
      const pick = (f: Narrowed | undefined, r: VReg): VReg | undefined => {
        if (f?.bits === 32 && f.signed === signed) return f.src;
        const x = range?.(r);
        return x && (signed ? x.s32 : x.u32) ? r : undefined;
      };
      const sa = pick(fa, a), sb = pick(fb, b);
      if (sa !== undefined && sb !== undefined) return { cmp: signed ? cmp : TO_UNSIGNED[cmp] ?? cmp, a: sa, b: sb };
    }
    return undefined;
  }
  const na = narrow.get(a);
  if (na?.bits !== 32) return undefined;
  const asUnsigned = na.signed ? cmp : TO_UNSIGNED[cmp] ?? cmp;
  const c = BigInt.asIntN(64, b.imm);
  // The immediates for which both compares agree on every value of the extension's range.
  const inRange = na.signed
    ? SIGNED_CMPS.has(cmp) || cmp === "eq" || cmp === "ne" ? c >= S32_MIN && c <= S32_MAX : c >= 0n && c <= S32_MAX
    : SIGNED_CMPS.has(cmp) ? c >= 0n && c <= S32_MAX : c >= 0n && c <= U32_MAX;
  return inRange ? { cmp: asUnsigned, a: na.src, b: { imm: BigInt.asIntN(32, c) } } : undefined;
}

type Reader = Inst | Terminator;

function allows(r: Reader, d: VReg, n: Narrowed, narrow: NarrowMap, range: (r: VReg) => Range): boolean {
  switch (r.op) {
    case "store": return r.src === d && !("reg" in r.base && r.base.reg === d) && r.size * 8 <= n.bits;
    case "ext": return r.bits <= n.bits;
    case "alu": return r.w32 === true && !r.core && n.bits === 32;
    // With d on the right, a must be such an extension too (IR compares have a register on
    // the left), and compare32 checks both.
    case "setcc": case "br": {
      // The compare must read d's source, not d as a value of its own.
      const c = compare32(r.cmp, r.a, r.b, narrow, range);
      return c !== undefined && (r.a !== d || c.a !== d) && (r.b !== d || c.b !== d);
    }
    default: return false;
  }
}

export function narrowExtensions(fn: IrFunction, range: (r: VReg) => Range): NarrowMap {
  const defs = new Map<VReg, { block: number; index: number }[]>();
  const readers = new Map<VReg, Reader[]>();
  /** Where in each block a register is read: block id, then instruction index. */
  const readAt = new Map<VReg, { block: number; index: number }[]>();
  const push = <T>(m: Map<VReg, T[]>, r: VReg, v: T): void => { const l = m.get(r); if (l) l.push(v); else m.set(r, [v]); };
  for (const b of fn.blocks) {
    b.insts.forEach((i, index) => {
      const d = instDst(i);
      if (d !== undefined) push(defs, d, { block: b.id, index });
      forEachDistinct(instUses(i), (u) => { push(readers, u, i); push(readAt, u, { block: b.id, index }); });
    });
    forEachDistinct(termUses(b.term), (u) => push(readers, u, b.term));
  }
  // Computed only for an extension in another block than its source's.
  let dominates: ((a: number, b: number) => boolean) | undefined;
  let cyclic: Set<number> | undefined;
  /** Whether s, read in d's place, still holds its value wherever d is read: s is defined
   *  once, earlier in d's block, and d is not read between the two (where d would still be
   *  the previous s's extension); or defined once in a block no run reaches twice that
   *  dominates d's; or s is a parameter nothing redefines. */
  const holds = (s: VReg, d: VReg): boolean => {
    const at = defs.get(d)![0]!, src = defs.get(s);
    if (src === undefined) return fn.params.includes(s);
    if (src.length !== 1) return false;
    const from = src[0]!;
    if (from.block !== at.block) {
      cyclic ??= blocksOnCycles(fn);
      dominates ??= dominators(fn);
      return !cyclic.has(from.block) && dominates(from.block, at.block);
    }
    return from.index < at.index && !(readAt.get(d) ?? []).some((r) => r.block === at.block && r.index > from.index && r.index < at.index);
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
      if (holds(root(d), d) && (readers.get(d) ?? []).every((r) => allows(r, d, n, candidates, range))) continue;
      candidates.delete(d);
      changed = true;
    }
  }
  return new Map([...candidates].map(([d, n]) => [d, { ...n, src: root(d) }]));
}
