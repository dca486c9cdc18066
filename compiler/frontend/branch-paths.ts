// How deep the kernel verifier's stack of pending states gets in a function. At a
// branch it cannot decide, the verifier pushes the state of one arm and walks on into
// the other; it pops a pushed state only once the path it walks ends (at an exit, or
// where the state matches one it has seen). So the stack holds the undecided branches
// left behind on one path, and its limit (BPF_COMPLEXITY_LIMIT_JMP_SEQ) is a limit on the
// most such branches on any path through the function: one arm of each `if`, each
// iteration of a loop, a called function's own path at the call. Counting every branch
// of every arm instead refuses programs the kernel accepts (test/fuzz/known-bugs.md,
// bug 3).
// In: a lowered function and its loops (branchGraph, as it is lowered): the blocks'
// branches, calls and successors, plain data. Then (mostBranches), with the most a
// called function leaves on one path: the most on a path from the function's entry, and
// through each loop, its iterations counted.
// Blocks are in layout order: every edge goes to a later block but a loop's back edge to
// its head, and a loop's blocks are those from its head up to its exit (lower-stmt.ts,
// loops.ts); a loop's condition at its head is one the verifier decides (the counter).

import type { IrFunction } from "../ir/ir.js";
import type { LoopRegion } from "./values.js";

export interface BranchGraph {
  blocks: {
    /** Ends in a branch the verifier may not decide. */
    undecided: boolean;
    /** The subprograms it calls, by symbol, once per call. */
    calls: string[];
    next: number[];
  }[];
  loops: GraphLoop[];
}

/** A loop: its head block, the first block after it, its iterations. */
interface GraphLoop { head: number; exit: number; trips: number }

export function branchGraph(fn: IrFunction, loops: readonly LoopRegion[]): BranchGraph {
  const heads = new Set(loops.map((l) => l.head.id));
  return {
    blocks: fn.blocks.map((b) => ({
      undecided: b.term.op === "br" && !heads.has(b.id),
      calls: b.insts.flatMap((i) => (i.op === "call" && "fn" in i ? [i.fn] : [])),
      next: b.term.op === "br" ? [b.term.then, b.term.else] : b.term.op === "jmp" ? [b.term.target] : [],
    })),
    loops: loops.map((l) => ({ head: l.head.id, exit: l.exit.id, trips: l.trips })),
  };
}

/** The most undecided branches on one path from the entry, and through each loop (by
 *  head block: its iterations times the most in one), a call counting `called`'s. */
export function mostBranches(g: BranchGraph, called: (symbol: string) => number): { entry: number; loops: Map<number, number> } {
  const n = g.blocks.length;
  const loopAt = new Map(g.loops.map((l) => [l.head, l]));
  // The innermost loop around each block (loops nest: the one with the latest head),
  // and around each loop (what its head had before the loop itself was filled in).
  const around: (GraphLoop | undefined)[] = new Array(n).fill(undefined);
  const enclosing = new Map<GraphLoop, GraphLoop | undefined>();
  for (const l of [...g.loops].sort((x, y) => x.head - y.head)) {
    enclosing.set(l, around[l.head]);
    for (let id = l.head; id < l.exit && id < n; id++) around[id] = l;
  }
  // within[id]: the most on a path from block id to the end of its innermost loop's
  // iteration (its back edge, or an edge out of it), or of the function.
  // entered[h]: a loop's head as the blocks around the loop see it: every iteration, then
  // the most on a path on from where it leaves.
  const within = new Array<number>(n).fill(0);
  const entered = new Map<number, number>();
  const through = new Map<number, number>();
  const own = (id: number) => (g.blocks[id]!.undecided ? 1 : 0) + g.blocks[id]!.calls.reduce((s, c) => s + called(c), 0);
  /** A successor as seen from a block whose innermost loop is `region`. */
  const onward = (s: number, region: GraphLoop | undefined): number => {
    if (s >= n) return 0;
    if (region && (s === region.head || s < region.head || s >= region.exit)) return 0;
    const inner = loopAt.get(s);
    if (inner && inner !== region) return entered.get(s) ?? 0;
    return within[s] ?? 0;
  };
  for (let id = n - 1; id >= 0; id--) {
    const region = around[id];
    within[id] = own(id) + Math.max(0, ...g.blocks[id]!.next.map((s) => onward(s, region)));
    const loop = loopAt.get(id);
    if (!loop) continue;
    const outside = enclosing.get(loop);
    let leaving = 0;
    for (let b = loop.head; b < loop.exit && b < n; b++) {
      for (const s of g.blocks[b]!.next) if (s < loop.head || s >= loop.exit) leaving = Math.max(leaving, onward(s, outside));
    }
    const all = Math.max(1, loop.trips) * within[id]!;
    through.set(id, all);
    entered.set(id, all + leaving);
  }
  return { entry: onward(0, undefined), loops: through };
}
