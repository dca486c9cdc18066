// A branch that only picks 0 or 1 for a register (`v > 0xffff ? 1 : 0`: the constant for
// one way set before the branch, hoist-constant-arms.ts, the other in an arm of its own
// that goes on to where the branch's other way goes) becomes one `setcc` and a jump: the
// value of the compare itself. The backend computes a compare of a value of known range
// without a branch, so the verifier walks one path where it walked two, at every such
// compare in a row (bits.bpf.h's log2 has four: sixteen paths).
// In: an IrFunction whose blocks are all reachable (not modified). Out: a copy with such
// branches replaced; their arms are left unreached, for removeUnreachable.

import { NEGATED_CMP } from "./compare.js";
import type { Block, Inst, IrFunction, Terminator } from "./ir.js";
import { successors } from "./dominators.js";
import { instDst, instUses } from "./uses.js";

export function comparesAsValues(fn: IrFunction): IrFunction {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const preds = new Map<number, number>();
  for (const b of fn.blocks) for (const s of new Set(successors(b))) preds.set(s, (preds.get(s) ?? 0) + 1);
  const replaced = new Map<number, Block>();
  for (const b of fn.blocks) {
    const br = b.term;
    if (br.op !== "br" || br.then === br.else) continue;
    // The arm: one constant, then on to where the branch's other way goes.
    const armIsThen = isArm(byId.get(br.then)!, br.else, preds);
    if (!armIsThen && !isArm(byId.get(br.else)!, br.then, preds)) continue;
    const arm = byId.get(armIsThen ? br.then : br.else)!;
    const set = arm.insts[0] as Extract<Inst, { op: "const" }>;
    const x = set.dst;
    if (x === br.a || x === br.b) continue;
    // The branch's block sets x to the other constant last, with no read of x after.
    const k = lastWrite(b.insts, x);
    const first = k < 0 ? undefined : b.insts[k]!;
    if (first?.op !== "const" || first.core || b.insts.slice(k + 1).some((i) => instUses(i).includes(x))) continue;
    const whenTrue = armIsThen ? set.value : first.value;
    const whenFalse = armIsThen ? first.value : set.value;
    const cmp = whenTrue === 1n && whenFalse === 0n ? br.cmp : whenTrue === 0n && whenFalse === 1n ? NEGATED_CMP[br.cmp] : undefined;
    if (cmp === undefined) continue;
    const setcc: Inst = { op: "setcc", dst: x, cmp, a: br.a, b: br.b, ...(br.loc ? { loc: br.loc } : {}) };
    const term: Terminator = { op: "jmp", target: armIsThen ? br.else : br.then, ...(br.loc ? { loc: br.loc } : {}) };
    replaced.set(b.id, { id: b.id, insts: [...b.insts.slice(0, k), ...b.insts.slice(k + 1), setcc], term });
  }
  if (replaced.size === 0) return fn;
  return { ...fn, blocks: fn.blocks.map((b) => replaced.get(b.id) ?? b) };
}

/** A block of one constant that jumps to `to`, entered from one block only. */
function isArm(b: Block, to: number, preds: Map<number, number>): boolean {
  const i = b.insts[0];
  return b.insts.length === 1 && i?.op === "const" && !i.core && b.term.op === "jmp" && b.term.target === to && preds.get(b.id) === 1 && b.id !== to;
}

function lastWrite(insts: Inst[], r: number): number {
  for (let k = insts.length - 1; k >= 0; k--) if (instDst(insts[k]!) === r) return k;
  return -1;
}
