// Dominators of an IR function's blocks (the iterative algorithm of Cooper, Harvey and
// Kennedy). In: an IrFunction whose blocks[0] is the entry. Out: a query "does block a
// dominate block b" (every path from the entry to b passes through a), answered in O(1)
// from the dominator tree's depth-first numbering. No recursion: functions of many
// thousand blocks (inlined calls with branches) must not run out of stack.

import type { Block, IrFunction } from "./ir.js";

export function successors(b: Block): number[] {
  const t = b.term;
  if (t.op === "jmp") return [t.target];
  if (t.op === "br") return [t.then, t.else];
  return [];
}

export function dominators(fn: IrFunction): (a: number, b: number) => boolean {
  const n = fn.blocks.length;
  const index = new Map(fn.blocks.map((b, i) => [b.id, i]));
  const succ = fn.blocks.map((b) => successors(b).map((s) => index.get(s)!));
  const preds: number[][] = fn.blocks.map(() => []);
  succ.forEach((ss, i) => { for (const s of ss) preds[s]!.push(i); });

  // Reverse postorder from the entry (depth first, successors in order).
  const rpo = new Int32Array(n).fill(-1);
  const order: number[] = [];
  const seen = new Uint8Array(n);
  const stack: { at: number; next: number }[] = [{ at: 0, next: 0 }];
  seen[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const ss = succ[top.at]!;
    if (top.next < ss.length) {
      const s = ss[top.next++]!;
      if (!seen[s]) { seen[s] = 1; stack.push({ at: s, next: 0 }); }
    } else {
      order.push(top.at);
      stack.pop();
    }
  }
  order.reverse();
  order.forEach((b, i) => { rpo[b] = i; });

  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const b of order.slice(1)) {
      let d = -1;
      for (const p of preds[b]!) if (idom[p]! >= 0) d = d < 0 ? p : intersect(p, d);
      if (d >= 0 && idom[b] !== d) { idom[b] = d; changed = true; }
    }
  }

  // Number the dominator tree depth first: a dominates b iff b's interval nests in a's.
  const children: number[][] = fn.blocks.map(() => []);
  for (const b of order.slice(1)) children[idom[b]!]!.push(b);
  const pre = new Int32Array(n).fill(-1), post = new Int32Array(n).fill(-1);
  let clock = 0;
  const walk: { at: number; next: number }[] = [{ at: 0, next: 0 }];
  pre[0] = clock++;
  while (walk.length > 0) {
    const top = walk[walk.length - 1]!;
    const cs = children[top.at]!;
    if (top.next < cs.length) {
      const c = cs[top.next++]!;
      pre[c] = clock++;
      walk.push({ at: c, next: 0 });
    } else {
      post[top.at] = clock++;
      walk.pop();
    }
  }
  return (a, b) => {
    if (a === b) return true;
    const x = index.get(a), y = index.get(b);
    if (x === undefined || y === undefined || pre[x]! < 0 || pre[y]! < 0) return false;
    return pre[x]! <= pre[y]! && post[y]! <= post[x]!;
  };
}
