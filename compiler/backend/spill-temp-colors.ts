// Colors for the temporaries spill code added (spill.ts), around the colors the round that
// spilled gave every other register, so that a spill does not cost a whole second round
// of the allocator (regalloc.ts). The other registers keep valid colors: spilling only
// takes a register out of the graph, and the spill code's loads and stores of the others
// are at their own definitions and uses. Each temporary lives from its load (or its
// constant's recomputation) to the one instruction that reads it, or from that
// instruction to its store, inside one block: it takes the color of
// its hint or of a move partner when free, else the first free one, as the allocator's
// select phase would.
// In: an MFunction after rewriteSpills, the colors of the registers that kept one, and the
// round's live-out sets.
// Out: those colors with the temporaries', or undefined when a temporary finds no free
// color (then the allocator runs its next round on the whole function).
// Interference is the allocator's (Round.build): a definition interferes with every
// register live after it, a copy's destination not with its source, setcc's destination
// with its operands. The pass costs a walk of the function with the round's live-out
// sets, far less than a round: no liveness, no graph, no worklists.

import { ALL_COLORS, COLOR_ORDER, FIRST_VREG, instDefs, instUses, termUses, type MFunction, type Reg } from "./mir.js";
import { OrderedSet } from "./ordered-set.js";

/** `liveOut`: the registers live out of each block before the spill code went in (the
 *  round's); the spill code's temporaries never live out of their block, the spilled
 *  registers are gone, and every other register is defined and used where it was. */
export function colorSpillTemps(fn: MFunction, kept: ReadonlyMap<Reg, Reg>, liveOut: ReadonlyMap<number, ReadonlySet<Reg>>): Map<Reg, Reg> | undefined {
  /** Kept colors first; the temporaries' are added as they are chosen. */
  const colors = new Map(kept);
  const colorOf = (r: Reg): Reg | undefined => (r < FIRST_VREG ? r : colors.get(r));
  const isTemp = new Uint8Array(fn.nextReg);
  const temps: Reg[] = [];
  const mark = (r: Reg): void => { if (r >= FIRST_VREG && !kept.has(r) && !isTemp[r]) { isTemp[r] = 1; temps.push(r); } };
  for (const b of fn.blocks) {
    for (const i of b.insts) { instUses(i).forEach(mark); instDefs(i).forEach(mark); }
    termUses(b.term).forEach(mark);
  }
  /** Per temporary: the colors its colored neighbours hold, its temporary neighbours, and
   *  the registers it is copied from or to. */
  const taken = new Map<Reg, number>(temps.map((t) => [t, 0]));
  const neighbours = new Map<Reg, Reg[]>();
  const partners = new Map<Reg, Reg[]>();
  const push = (m: Map<Reg, Reg[]>, k: Reg, v: Reg): void => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
  /** t (a temporary) interferes with r. */
  const see = (t: Reg, r: Reg): void => {
    if (r === t) return;
    if (isTemp[r]) push(neighbours, t, r);
    else taken.set(t, taken.get(t)! | (1 << colorOf(r)!));
  };
  const move = (dst: Reg, src: Reg): void => {
    if (isTemp[dst]) push(partners, dst, src);
    if (isTemp[src]) push(partners, src, dst);
  };

  // The allocator's interference (Round.build), kept to the pairs with a temporary: all
  // registers live are tracked, and the temporaries among them apart (a few at a time).
  const live = new OrderedSet(fn.nextReg);
  const liveTemps = new Set<Reg>();
  const add = (r: Reg): void => { live.add(r); if (isTemp[r]) liveTemps.add(r); };
  const remove = (r: Reg): void => { live.delete(r); liveTemps.delete(r); };
  /** d, defined, interferes with every register live after it. */
  const defined = (d: Reg): void => {
    if (isTemp[d]) for (let l = live.first(); l >= 0; l = live.after(l)) see(d, l);
    else for (const t of liveTemps) see(t, d);
  };
  for (const b of fn.blocks) {
    live.clear();
    liveTemps.clear();
    for (const r of liveOut.get(b.id) ?? []) if (r < FIRST_VREG || kept.has(r)) add(r);
    for (const u of termUses(b.term)) add(u);
    for (let k = b.insts.length - 1; k >= 0; k--) {
      const i = b.insts[k]!;
      const uses = instUses(i);
      const defs = instDefs(i);
      if (i.k === "mov") {
        remove(i.src);
        move(i.dst, i.src);
      } else if (i.k === "args") {
        for (const m of i.moves) { remove(m.src); move(m.dst, m.src); }
      }
      for (const d of defs) add(d);
      for (const d of defs) defined(d);
      for (const d of defs) remove(d);
      for (const u of uses) add(u);
      if (i.k === "setcc") {
        for (const u of uses) {
          if (isTemp[i.dst]) see(i.dst, u);
          if (isTemp[u]) see(u, i.dst);
        }
      }
    }
  }

  for (const t of temps.sort((a, b) => a - b)) {
    let busy = taken.get(t)!;
    for (const n of neighbours.get(t) ?? []) { const c = colorOf(n); if (c !== undefined) busy |= 1 << c; }
    if (busy === ALL_COLORS) return undefined;
    const free = (c: Reg | undefined): c is Reg => c !== undefined && (busy & (1 << c)) === 0;
    const hint = fn.hints.get(t);
    const partner = (partners.get(t) ?? []).map(colorOf).find(free);
    colors.set(t, free(hint) ? hint : partner ?? COLOR_ORDER.find(free)!);
  }
  return colors;
}
