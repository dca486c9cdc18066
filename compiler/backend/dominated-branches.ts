// Branches that a compare before them already decides: `for (let i: u32 = 1; i < 60; i++)`
// then `e.args[i]`, whose bound check `i u< 60` the loop's own test makes true in the
// body. The check goes, and with it the arm for an index out of bounds (execsnoop: 45 of
// its 143 instructions). The verifier decides such a branch itself, from the range it
// tracks; this is code size.
// A compare `x cmp K` (K an immediate) that ends block D tells, on the edge to a
// successor S that D alone enters, a range of x: it holds in every block S dominates
// that no path from S reaches with x written on the way (a path that comes around to D
// again tests x anew). A branch there on x (or on a copy of x made in its own block)
// against an immediate, decided by that range and by what value-ranges.ts knows of x
// (a u32 is never negative), becomes a jump; the blocks no longer reached go, and what
// only they used (computations, stack slots).
// In: a folded IrFunction (not modified). Out: a copy with such branches decided.

import { NEGATED_CMP, compareConstants } from "../ir/compare.js";
import { copyInst } from "../ir/copy.js";
import { dominators, successors } from "../ir/dominators.js";
import { isImm, type Block, type CmpOp, type IrFunction, type VReg } from "../ir/ir.js";
import { instDst, removeDeadCode } from "../ir/uses.js";
import { removeUnreachable } from "../ir/cleanup.js";
import { dropUnusedSlots } from "../ir/share-slots.js";
import { registerRanges } from "./value-ranges.js";

const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
/** Blocks the searches for writes between a compare and a branch visit, per function. */
const STEP_BUDGET = 200_000;

/** Signed 64-bit bounds of a value. */
interface Bounds { lo: bigint; hi: bigint }

/** The bounds `x cmp k` being true gives x, within `b`. */
function narrowed(b: Bounds, cmp: CmpOp, k: bigint): Bounds {
  const s = BigInt.asIntN(64, k), u = BigInt.asUintN(64, k);
  const max = (a: bigint, c: bigint): bigint => (a > c ? a : c), min = (a: bigint, c: bigint): bigint => (a < c ? a : c);
  switch (cmp) {
    case "slt": return { lo: b.lo, hi: min(b.hi, s - 1n) };
    case "sle": return { lo: b.lo, hi: min(b.hi, s) };
    case "sgt": return { lo: max(b.lo, s + 1n), hi: b.hi };
    case "sge": return { lo: max(b.lo, s), hi: b.hi };
    case "eq": return { lo: max(b.lo, s), hi: min(b.hi, s) };
    // Unsigned below a value under 2^63: non-negative and below it.
    case "ult": return u <= S64_MAX + 1n ? { lo: max(b.lo, 0n), hi: min(b.hi, u - 1n) } : b;
    case "ule": return u <= S64_MAX ? { lo: max(b.lo, 0n), hi: min(b.hi, u) } : b;
    default: return b;
  }
}

/** Whether `x cmp k` holds for every x in the bounds (true), for none (false), or neither. */
function decided(b: Bounds, cmp: CmpOp, k: bigint): boolean | undefined {
  if (b.lo > b.hi) return undefined;
  // Within [0, 2^63) unsigned order is signed order; elsewhere only signed compares are decided.
  const unsigned = cmp === "ult" || cmp === "ule" || cmp === "ugt" || cmp === "uge";
  if (unsigned && (b.lo < 0n || BigInt.asUintN(64, k) > S64_MAX)) return undefined;
  const lo = compareConstants(cmp, b.lo, k), hi = compareConstants(cmp, b.hi, k);
  if (lo !== hi) return undefined;
  // Monotone compares: the ends agreeing decides every value between; eq and ne need one value.
  if ((cmp === "eq" || cmp === "ne") && b.lo !== b.hi) {
    const k64 = BigInt.asIntN(64, k);
    return k64 < b.lo || k64 > b.hi ? cmp === "ne" : undefined;
  }
  return cmp === "set" ? undefined : lo;
}

export function decideDominatedBranches(fn: IrFunction): IrFunction {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const preds = new Map<number, number[]>();
  for (const b of fn.blocks) {
    for (const s of new Set(successors(b))) {
      const l = preds.get(s);
      if (l) l.push(b.id);
      else preds.set(s, [b.id]);
    }
  }
  // The facts: per register, the edges D -> S on which a compare of it is true.
  const facts = new Map<VReg, { d: number; s: number; cmp: CmpOp; k: bigint }[]>();
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.op !== "br" || !isImm(t.b) || t.then === t.else) continue;
    for (const [s, cmp] of [[t.then, t.cmp], [t.else, NEGATED_CMP[t.cmp]]] as const) {
      if (cmp === undefined || preds.get(s)?.length !== 1) continue;
      const l = facts.get(t.a) ?? [];
      l.push({ d: b.id, s, cmp, k: t.b.imm });
      facts.set(t.a, l);
    }
  }
  if (facts.size === 0) return fn;
  const dominates = dominators(fn);
  const known = registerRanges(fn);
  const writes = (b: Block, r: VReg): boolean => b.insts.some((i) => instDst(i) === r);
  /** Whether some path from s to b that does not pass d may write r before b (yes,
   *  once the searches have visited STEP_BUDGET blocks in all: the pass stays linear). */
  let steps = 0;
  const writtenBetween = (s: number, b: number, d: number, r: VReg): boolean => {
    const from = new Set<number>([s]);
    for (const work = [s]; work.length > 0;) {
      if (++steps > STEP_BUDGET) return true;
      for (const n of successors(byId.get(work.pop()!)!)) if (n !== d && !from.has(n)) { from.add(n); work.push(n); }
    }
    const to = new Set<number>([b]);
    for (const work = [b]; work.length > 0;) {
      if (++steps > STEP_BUDGET) return true;
      const n = work.pop()!;
      if (n === s) continue;
      for (const p of preds.get(n) ?? []) if (from.has(p) && !to.has(p)) { to.add(p); work.push(p); }
    }
    return [...to].some((n) => n !== b && writes(byId.get(n)!, r));
  };
  const decide = new Map<number, number>();
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.op !== "br" || !isImm(t.b) || t.then === t.else) continue;
    // The register tested, and what this block copied it from (which it does not write).
    const tested = [t.a];
    for (let k = b.insts.length - 1; k >= 0; k--) {
      const i = b.insts[k]!;
      if (instDst(i) !== t.a) continue;
      if (i.op === "mov") tested.push(i.src);
      break;
    }
    for (const x of tested) {
      const range = known(x);
      let bounds: Bounds = range.u32 ? { lo: 0n, hi: (1n << 32n) - 1n } : range.s32 ? { lo: -(1n << 31n), hi: (1n << 31n) - 1n } : { lo: S64_MIN, hi: S64_MAX };
      // A fact about x holds here only if this block does not write x itself.
      for (const f of writes(b, x) ? [] : facts.get(x) ?? []) {
        if (f.d === b.id || !dominates(f.s, b.id)) continue;
        if (writtenBetween(f.s, b.id, f.d, x)) continue;
        bounds = narrowed(bounds, f.cmp, f.k);
      }
      const outcome = decided(bounds, t.cmp, t.b.imm);
      if (outcome !== undefined) { decide.set(b.id, outcome ? t.then : t.else); break; }
    }
  }
  if (decide.size === 0) return fn;
  const out: IrFunction = {
    ...fn,
    blocks: fn.blocks.map((b) => {
      const target = decide.get(b.id);
      return { id: b.id, insts: b.insts.map(copyInst), term: target === undefined ? { ...b.term } : { op: "jmp", target, ...(b.term.loc ? { loc: b.term.loc } : {}) } };
    }),
  };
  removeUnreachable(out);
  // What only the arms gone used: its computations, its stack slots.
  removeDeadCode(out.blocks);
  return dropUnusedSlots(out);
}
