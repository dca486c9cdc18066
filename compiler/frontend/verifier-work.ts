// An estimate of the kernel verifier's work on a function's loops, so that a loop whose
// bound the compiler proves but whose verification the kernel would give up on is a
// diagnostic at the loop, not a load failure. The verifier walks every iteration of a
// bounded loop, so its instructions cost about iterations x body of the 1,000,000-
// instruction budget, nested loops multiplying. A branch it cannot decide pushes a state
// to explore later, on a stack of at most 8192 (BPF_COMPLEXITY_LIMIT_JMP_SEQ): one in
// every iteration of a long loop overflows it. And a branch comparing the counter with a
// value the verifier does not know (`if (v > i)`) narrows that value differently on each
// path, so the states of later iterations never match: each such state walks the rest of
// the loop again, a cost that grows with the square of the iterations.
// Measured on this kernel: a heavy body verifies in about 0.8 instructions per IR
// instruction and iteration, the counter comparison in about 2 x iterations^2.
// In: a lowered IrFunction and its loops (lower-stmt.ts). Out: nothing, or a diagnostic.

import type { IrFunction, VReg } from "../ir/ir.js";
import { instUses } from "../ir/uses.js";
import type { FrontendContext } from "./context.js";
import type { LoopRegion } from "./values.js";

/** BPF_COMPLEXITY_LIMIT_INSNS. */
export const VERIFIER_BUDGET = 1_000_000;
/** BPF_COMPLEXITY_LIMIT_JMP_SEQ. */
export const PENDING_STATES = 8192;
/** Instructions verified per IR instruction of a loop body and iteration (measured: 0.78). */
const VERIFIED_PER_IR = 0.8;

export function checkVerifierWork(ctx: FrontendContext, fn: IrFunction, loops: readonly LoopRegion[]): void {
  const inside = (l: LoopRegion, id: number) => l.head.id <= id && id < l.exit.id;
  const enclosing = (id: number) => loops.filter((l) => inside(l, id));
  const weight = (id: number) => enclosing(id).reduce((w, l) => w * Math.max(1, l.trips), 1);
  for (const outer of loops.filter((l) => !loops.some((o) => o !== l && o.head.id < l.head.id && l.exit.id <= o.exit.id))) {
    const blocks = fn.blocks.filter((b) => inside(outer, b.id));
    let insns = 0, pending = 0;
    for (const b of blocks) {
      const w = weight(b.id);
      insns += w * (b.insts.length + 1) * VERIFIED_PER_IR;
      const condition = enclosing(b.id).some((l) => l.head.id === b.id);
      if (b.term.op !== "br" || condition) continue;
      // A branch outside a loop condition's own block may depend on data.
      pending += w;
      for (const l of enclosing(b.id)) {
        if (comparesCounterWithUnknown(fn, l, b.term.a, b.term.b)) insns += (weight(l.head.id) / Math.max(1, l.trips)) * l.trips * l.trips * 2;
      }
    }
    if (insns > VERIFIER_BUDGET) ctx.fail("loopTooComplex", outer.node, String(Math.round(insns)), String(outer.trips), String(Math.round(insns / Math.max(1, outer.trips))));
    if (pending > PENDING_STATES) ctx.fail("loopTooManyBranches", outer.node, String(pending), String(outer.trips));
  }
}

/** Whether a compare of `a` with `b` sets one side computed from the loop's counter
 *  against a register that is not. */
function comparesCounterWithUnknown(fn: IrFunction, loop: LoopRegion, a: VReg, b: VReg | { imm: bigint }): boolean {
  if (loop.counter === undefined || typeof b !== "number") return false;
  const derived = new Set<VReg>([loop.counter]);
  for (let grew = true; grew;) {
    grew = false;
    for (const blk of fn.blocks) {
      if (blk.id < loop.head.id || blk.id >= loop.exit.id) continue;
      for (const i of blk.insts) {
        if (!("dst" in i) || i.dst === undefined || derived.has(i.dst)) continue;
        if (instUses(i).some((u) => derived.has(u))) { derived.add(i.dst); grew = true; }
      }
    }
  }
  return derived.has(a) !== derived.has(b);
}
