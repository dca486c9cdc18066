// Jumps threaded past a branch whose outcome the jump already knows: a block that only
// branches on a register against an immediate (`if (f(x))` after an inlined function's
// `return false` / `return true`, a flag set on each way into a join), entered from a
// block whose last write of that register is a constant, takes that edge straight to the
// branch's decided target. The verifier then walks no join where the flag differs per
// path, and the paths that set it run no compare.
// A jump into the block that follows it in layout order is threaded only when every edge
// into that block is: else it would become a `goto` that the branch it saves only trades
// for (a loop entered with its counter's first value, say).
// In: an IrFunction whose blocks are all reachable (not modified). Out: a copy whose edges into such blocks go on to the
// decided target; the constants stay (a later reader may read them), and a block no edge
// reaches any more is left for removeUnreachable.

import { compareConstants } from "./compare.js";
import { isImm, type Block, type IrFunction, type Terminator, type VReg } from "./ir.js";
import { successors } from "./dominators.js";
import { instDst } from "./uses.js";

/** The constant the block leaves in `reg` (its last write of it is a `const`), if any. */
function constantLeft(b: Block, reg: VReg): bigint | undefined {
  for (let k = b.insts.length - 1; k >= 0; k--) {
    const i = b.insts[k]!;
    if (instDst(i) !== reg) continue;
    return i.op === "const" && !i.core ? i.value : undefined;
  }
  return undefined;
}

export function threadConstantBranches(fn: IrFunction): IrFunction {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  /** Where an edge from `from` into `id` ends up: past every empty block on the way
   *  whose branch tests a register `from` leaves a constant in against an immediate. */
  const decided = (from: Block, id: number): number => {
    const seen = new Set<number>();
    let cur = id;
    for (;;) {
      const { insts, term } = byId.get(cur)!;
      if (insts.length !== 0 || term.op !== "br" || !isImm(term.b) || seen.has(cur)) return cur;
      const v = constantLeft(from, term.a);
      if (v === undefined) return cur;
      seen.add(cur);
      cur = compareConstants(term.cmp, v, term.b.imm) ? term.then : term.else;
    }
  };
  // Blocks some edge into which is left as it is.
  const kept = new Set<number>();
  for (const b of fn.blocks) for (const s of successors(b)) if (decided(b, s) === s) kept.add(s);
  const blocks = fn.blocks.map((b, k): Block => {
    const t = b.term;
    let term: Terminator = t;
    if (t.op === "jmp") {
      const to = decided(b, t.target);
      const fallsThrough = fn.blocks[k + 1]?.id === t.target;
      if (to !== t.target && !(fallsThrough && kept.has(t.target))) term = { ...t, target: to };
    } else if (t.op === "br") {
      const then = decided(b, t.then), els = decided(b, t.else);
      if (then !== t.then || els !== t.else) term = then === els ? { op: "jmp", target: then, ...(t.loc ? { loc: t.loc } : {}) } : { ...t, then, else: els };
    }
    return term === t ? b : { ...b, term };
  });
  return { ...fn, blocks };
}
