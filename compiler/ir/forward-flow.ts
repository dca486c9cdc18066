// Forward data flow over a function's blocks, solved by a work list to a fixed point.
// In: the function, the state on entry to its first block, a block's transfer function,
// the meet of two states where paths join and their equality; optionally a budget of
// block visits. Out: the state on entry to each block, by position in fn.blocks
// (undefined: no path reaches it), or undefined when the budget ran out first.

import { successors } from "./dominators.js";
import type { Block, IrFunction } from "./ir.js";

export function forwardFlow<S>(
  fn: IrFunction, start: S, transfer: (state: S, block: Block) => S,
  meet: (a: S, b: S) => S, same: (a: S, b: S) => boolean, budget = Infinity,
): (S | undefined)[] | undefined {
  const index = new Map(fn.blocks.map((b, n) => [b.id, n]));
  const entry: (S | undefined)[] = fn.blocks.map((_, n) => (n === 0 ? start : undefined));
  const work = [0];
  const queued = new Set(work);
  while (work.length > 0) {
    if (--budget < 0) return undefined;
    const n = work.pop()!;
    queued.delete(n);
    const out = transfer(entry[n]!, fn.blocks[n]!);
    for (const s of successors(fn.blocks[n]!).map((id) => index.get(id)!)) {
      const before = entry[s];
      const met = before === undefined ? out : meet(before, out);
      if (before !== undefined && same(before, met)) continue;
      entry[s] = met;
      if (!queued.has(s)) { queued.add(s); work.push(s); }
    }
  }
  return entry;
}
