// The blocks on a cycle of a function's control flow graph: those that a run can reach
// again after leaving them (a loop's blocks). A value defined once outside every cycle
// keeps that one value from its definition to the end of the run.
// In: an IrFunction. Out: the ids of the blocks in a strongly connected component of more
// than one block, or with an edge to themselves (Tarjan's algorithm, without recursion:
// functions of many thousand blocks must not run out of stack).

import { successors } from "./dominators.js";
import type { IrFunction } from "./ir.js";

export function blocksOnCycles(fn: IrFunction): Set<number> {
  const n = fn.blocks.length;
  const index = new Map(fn.blocks.map((b, i) => [b.id, i]));
  const succ = fn.blocks.map((b) => successors(b).map((s) => index.get(s)!));
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cyclic = new Set<number>();
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const walk: { at: number; next: number }[] = [{ at: root, next: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (walk.length > 0) {
      const top = walk[walk.length - 1]!;
      const ss = succ[top.at]!;
      if (top.next < ss.length) {
        const s = ss[top.next++]!;
        if (s === top.at) cyclic.add(fn.blocks[s]!.id);
        if (order[s] === -1) {
          order[s] = low[s] = counter++;
          stack.push(s);
          onStack[s] = 1;
          walk.push({ at: s, next: 0 });
        } else if (onStack[s]) low[top.at] = Math.min(low[top.at]!, order[s]!);
        continue;
      }
      walk.pop();
      const parent = walk[walk.length - 1];
      if (parent) low[parent.at] = Math.min(low[parent.at]!, low[top.at]!);
      if (low[top.at] !== order[top.at]) continue;
      const component: number[] = [];
      for (let v = -1; v !== top.at;) {
        v = stack.pop()!;
        onStack[v] = 0;
        component.push(v);
      }
      if (component.length > 1) for (const v of component) cyclic.add(fn.blocks[v]!.id);
    }
  }
  return cyclic;
}
