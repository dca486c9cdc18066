// Returns of the same constant share one exit: the last block (in layout) that ends
// `r0 = C; exit` is split before those two instructions, and blocks that are nothing but
// `r0 = C; exit` branch to the split-off tail instead (emit.ts threads their predecessors'
// jumps through them): two instructions fewer for each. A block that would then cost its
// predecessor a `goto` (the block was its fallthrough) keeps its own exit, and so does a
// block with more in it (it would need a `goto`): no path runs, and the verifier walks, more
// instructions than before.
// In: an MFunction after register allocation. Out: the same, changed in place.

import { R0, successors, type MBlock, type MFunction } from "./mir.js";

/** The constant a block returns by `r0 = C; exit` at its end, or undefined. */
function returned(b: MBlock): number | undefined {
  const last = b.insts[b.insts.length - 1];
  if (b.term.k !== "exit" || last?.k !== "movi" || last.dst !== R0 || last.core) return undefined;
  return last.imm;
}

export function shareExits(fn: MFunction): void {
  const at = new Map(fn.blocks.map((b, k) => [b.id, k]));
  const preds = new Map<number, MBlock[]>();
  const add = <K>(m: Map<K, MBlock[]>, k: K, b: MBlock): void => { const l = m.get(k); if (l) l.push(b); else m.set(k, [b]); };
  for (const b of fn.blocks) for (const s of successors(b.term)) add(preds, s, b);
  /** Whether a predecessor falls through into b, and would need a `goto` once b is gone. */
  const fallenInto = (b: MBlock): boolean => (preds.get(b.id) ?? []).some((p) => {
    if (at.get(p.id)! + 1 !== at.get(b.id)) return false;
    const after = fn.blocks[at.get(b.id)! + 1]?.id;
    return p.term.k === "jmp" || (p.term.k === "br" && (p.term.then === b.id ? p.term.else : p.term.then) !== after);
  });
  const groups = new Map<number, MBlock[]>();
  for (const b of fn.blocks) {
    const c = returned(b);
    if (c !== undefined) add(groups, c, b);
  }
  // Decided on the layout as it is, before any tail goes in.
  const plans = [...groups.values()].map((members) => ({
    last: members[members.length - 1]!,
    joining: members.slice(0, -1).filter((b) => b.insts.length === 1 && b !== fn.blocks[0] && !fallenInto(b)),
  }));
  let next = Math.max(...fn.blocks.map((b) => b.id)) + 1;
  for (const { last, joining } of plans) {
    if (joining.length === 0) continue;
    const tail: MBlock = { id: next++, insts: [last.insts[last.insts.length - 1]!], term: last.term };
    for (const b of [...joining, last]) {
      b.insts = b.insts.slice(0, -1);
      b.term = { k: "jmp", target: tail.id, ...(b.term.loc ? { loc: b.term.loc } : {}) };
    }
    fn.blocks.splice(fn.blocks.indexOf(last) + 1, 0, tail);
  }
}
