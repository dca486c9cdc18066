// Control-flow facts about a machine function: live registers at block boundaries
// (backward dataflow to a fixed point) and each block's loop nesting depth.
// In: an MFunction. Out: liveOut per block id (physical registers included, R10 never),
// and loop depth per block id (used to weigh spill costs).

import { instDefs, instUses, successors, termUses, type MFunction, type Reg } from "./mir.js";

export interface Liveness {
  liveIn: Map<number, Set<Reg>>;
  liveOut: Map<number, Set<Reg>>;
}

/** Backward dataflow on bit sets (one bit per register), then Sets for the callers. */
export function computeLiveness(fn: MFunction): Liveness {
  const words = Math.ceil(fn.nextReg / 32);
  const set = (bits: Uint32Array, r: Reg): void => { bits[r >>> 5]! |= 1 << (r & 31); };
  const has = (bits: Uint32Array, r: Reg): boolean => (bits[r >>> 5]! & (1 << (r & 31))) !== 0;
  const n = fn.blocks.length;
  const index = new Map(fn.blocks.map((b, k) => [b.id, k]));
  const use: Uint32Array[] = [], def: Uint32Array[] = [], ins: Uint32Array[] = [], outs: Uint32Array[] = [];
  const succ: number[][] = [];
  for (const b of fn.blocks) {
    const u = new Uint32Array(words), d = new Uint32Array(words);
    for (const i of b.insts) {
      for (const r of instUses(i)) if (!has(d, r)) set(u, r);
      for (const r of instDefs(i)) set(d, r);
    }
    for (const r of termUses(b.term)) if (!has(d, r)) set(u, r);
    use.push(u); def.push(d);
    ins.push(u.slice()); outs.push(new Uint32Array(words));
    succ.push(successors(b.term).map((s) => index.get(s)!).filter((k) => k !== undefined));
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let k = n - 1; k >= 0; k--) {
      const out = outs[k]!, inn = ins[k]!, d = def[k]!, u = use[k]!;
      for (const s of succ[k]!) {
        const si = ins[s]!;
        for (let w = 0; w < words; w++) out[w]! |= si[w]!;
      }
      for (let w = 0; w < words; w++) {
        const v = (u[w]! | (out[w]! & ~d[w]!)) >>> 0;
        if (v !== inn[w]) { inn[w] = v; changed = true; }
      }
    }
  }
  const toSet = (bits: Uint32Array): Set<Reg> => {
    const out = new Set<Reg>();
    for (let w = 0; w < words; w++) {
      let v = bits[w]!;
      while (v !== 0) {
        const t = v & -v;
        out.add(w * 32 + 31 - Math.clz32(t));
        v ^= t;
      }
    }
    return out;
  };
  const liveIn = new Map<number, Set<Reg>>(), liveOut = new Map<number, Set<Reg>>();
  fn.blocks.forEach((b, k) => { liveIn.set(b.id, toSet(ins[k]!)); liveOut.set(b.id, toSet(outs[k]!)); });
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
