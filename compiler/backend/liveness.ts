// Control-flow facts about a machine function: live registers at block boundaries and
// each block's loop nesting depth.
// In: an MFunction. Out: liveIn and liveOut per block id (physical registers included, R10
// never), each set in ascending register order; loop depth per block id (used to weigh
// spill costs).
// Liveness is found register by register: from each block that reads a register before
// writing it, backwards through predecessors until a block that writes it. The work is
// the sum of the registers' live ranges in blocks, not blocks times registers.

import { instDefs, instUses, successors, termUses, type MFunction, type Reg } from "./mir.js";

export interface Liveness {
  liveIn: Map<number, Set<Reg>>;
  liveOut: Map<number, Set<Reg>>;
}

export function computeLiveness(fn: MFunction): Liveness {
  const n = fn.blocks.length;
  const index = new Map(fn.blocks.map((b, k) => [b.id, k]));
  const preds: number[][] = fn.blocks.map(() => []);
  fn.blocks.forEach((b, k) => {
    for (const s of successors(b.term)) { const t = index.get(s); if (t !== undefined) preds[t]!.push(k); }
  });
  // Per block: the registers it reads before writing (upward-exposed) and those it writes.
  const exposed: Reg[][] = [], defs: Set<Reg>[] = [];
  for (const b of fn.blocks) {
    const d = new Set<Reg>(), u: Reg[] = [], seen = new Set<Reg>();
    const read = (r: Reg): void => { if (!d.has(r) && !seen.has(r)) { seen.add(r); u.push(r); } };
    for (const i of b.insts) {
      for (const r of instUses(i)) read(r);
      for (const r of instDefs(i)) d.add(r);
    }
    for (const r of termUses(b.term)) read(r);
    exposed.push(u);
    defs.push(d);
  }
  const ins: Reg[][] = fn.blocks.map(() => []), outs: Reg[][] = fn.blocks.map(() => []);
  // The last register each block was marked live-in / live-out for: a register's walk marks
  // a block at most once, and walks are one register at a time.
  const inMark = new Int32Array(n).fill(-1), outMark = new Int32Array(n).fill(-1);
  const byReg = new Map<Reg, number[]>();
  exposed.forEach((u, k) => { for (const r of u) { const l = byReg.get(r); if (l) l.push(k); else byReg.set(r, [k]); } });
  const work: number[] = [];
  for (const [r, blocks] of byReg) {
    for (const k of blocks) { inMark[k] = r; ins[k]!.push(r); work.push(k); }
    while (work.length > 0) {
      const k = work.pop()!;
      for (const p of preds[k]!) {
        if (outMark[p] === r) continue;
        outMark[p] = r;
        outs[p]!.push(r);
        if (inMark[p] !== r && !defs[p]!.has(r)) { inMark[p] = r; ins[p]!.push(r); work.push(p); }
      }
    }
  }
  const sorted = (rs: Reg[]): Set<Reg> => new Set(rs.sort((a, b) => a - b));
  const liveIn = new Map<number, Set<Reg>>(), liveOut = new Map<number, Set<Reg>>();
  fn.blocks.forEach((b, k) => { liveIn.set(b.id, sorted(ins[k]!)); liveOut.set(b.id, sorted(outs[k]!)); });
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
