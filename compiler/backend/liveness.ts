// Control-flow facts about a machine function: live registers at block boundaries
// (backward dataflow to a fixed point) and each block's loop nesting depth.
// In: an MFunction. Out: liveOut per block id (physical registers included, R10 never),
// and loop depth per block id (used to weigh spill costs).

import { instDefs, instUses, successors, termUses, type MFunction, type Reg } from "./mir.js";

export interface Liveness {
  liveIn: Map<number, Set<Reg>>;
  liveOut: Map<number, Set<Reg>>;
}

export function computeLiveness(fn: MFunction): Liveness {
  const use = new Map<number, Set<Reg>>();
  const def = new Map<number, Set<Reg>>();
  for (const b of fn.blocks) {
    const u = new Set<Reg>();
    const d = new Set<Reg>();
    for (const i of b.insts) {
      for (const r of instUses(i)) if (!d.has(r)) u.add(r);
      for (const r of instDefs(i)) d.add(r);
    }
    for (const r of termUses(b.term)) if (!d.has(r)) u.add(r);
    use.set(b.id, u);
    def.set(b.id, d);
  }
  const liveIn = new Map<number, Set<Reg>>();
  const liveOut = new Map<number, Set<Reg>>();
  for (const b of fn.blocks) {
    liveIn.set(b.id, new Set());
    liveOut.set(b.id, new Set());
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let k = fn.blocks.length - 1; k >= 0; k--) {
      const b = fn.blocks[k]!;
      const out = liveOut.get(b.id)!;
      for (const s of successors(b.term)) {
        for (const r of liveIn.get(s) ?? []) {
          if (!out.has(r)) { out.add(r); changed = true; }
        }
      }
      const inn = liveIn.get(b.id)!;
      const d = def.get(b.id)!;
      for (const r of use.get(b.id)!) if (!inn.has(r)) { inn.add(r); changed = true; }
      for (const r of out) if (!d.has(r) && !inn.has(r)) { inn.add(r); changed = true; }
    }
  }
  return { liveIn, liveOut };
}

/** Loop nesting depth per block: the number of natural loops (of DFS back edges) containing it. */
export function loopDepths(fn: MFunction): Map<number, number> {
  const depth = new Map<number, number>(fn.blocks.map((b) => [b.id, 0]));
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const preds = new Map<number, number[]>(fn.blocks.map((b) => [b.id, []]));
  for (const b of fn.blocks) for (const s of successors(b.term)) preds.get(s)?.push(b.id);

  // Back edges: edges to a block on the DFS stack.
  const backEdges: [number, number][] = [];
  const state = new Map<number, 1 | 2>();
  const entry = fn.blocks[0];
  if (entry === undefined) return depth;
  const stack: { id: number; next: number }[] = [{ id: entry.id, next: 0 }];
  state.set(entry.id, 1);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const succ = successors(byId.get(top.id)!.term);
    if (top.next < succ.length) {
      const s = succ[top.next++]!;
      const st = state.get(s);
      if (st === 1) backEdges.push([top.id, s]);
      else if (st === undefined) { state.set(s, 1); stack.push({ id: s, next: 0 }); }
    } else {
      state.set(top.id, 2);
      stack.pop();
    }
  }
  for (const [tail, head] of backEdges) {
    const body = new Set<number>([head]);
    const work = [tail];
    while (work.length > 0) {
      const n = work.pop()!;
      if (body.has(n)) continue;
      body.add(n);
      for (const p of preds.get(n) ?? []) work.push(p);
    }
    for (const n of body) depth.set(n, (depth.get(n) ?? 0) + 1);
  }
  return depth;
}
