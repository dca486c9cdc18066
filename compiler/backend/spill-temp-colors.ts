// Colors for the temporaries spill code added (spill.ts), around the colors the round that
// spilled gave every other register, so that a spill does not cost a whole second round
// of the allocator (regalloc.ts). The other registers keep valid colors: spilling only
// takes a register out of the graph, and the spill code's loads and stores of the others
// are at their own definitions and uses. Each temporary lives from its load to the one
// instruction that reads it, or from that instruction to its store: it takes the color of
// its hint or of a move partner when free, else the first free one, as the allocator's
// select phase would.
// In: an MFunction after rewriteSpills, and the colors of the registers that kept one.
// Out: those colors with the temporaries', or undefined when a temporary finds no free
// color (then the allocator runs its next round on the whole function).
// Interference is the allocator's (Round.build): a definition interferes with every
// register live after it, a copy's destination not with its source, setcc's destination
// with its operands.

import { computeLiveness } from "./liveness.js";
import { ALL_COLORS, COLOR_ORDER, FIRST_VREG, instDefs, instUses, termUses, type MFunction, type Reg } from "./mir.js";
import { OrderedSet } from "./ordered-set.js";

export function colorSpillTemps(fn: MFunction, kept: ReadonlyMap<Reg, Reg>): Map<Reg, Reg> | undefined {
  const needs = (r: Reg): boolean => r >= FIRST_VREG && !kept.has(r);
  const colorOf = (r: Reg): Reg | undefined => (r < FIRST_VREG ? r : kept.get(r));
  /** Per temporary: the colors its colored neighbours hold, its uncolored neighbours, and
   *  the registers it is copied from or to. */
  const taken = new Map<Reg, number>();
  const neighbours = new Map<Reg, Reg[]>();
  const partners = new Map<Reg, Reg[]>();
  const push = (m: Map<Reg, Reg[]>, k: Reg, v: Reg): void => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
  const see = (t: Reg, other: Reg): void => {
    if (!taken.has(t)) taken.set(t, 0);
    if (needs(other)) push(neighbours, t, other);
    else taken.set(t, taken.get(t)! | (1 << colorOf(other)!));
  };
  const interfere = (a: Reg, b: Reg): void => {
    if (a === b) return;
    if (needs(a)) see(a, b);
    if (needs(b)) see(b, a);
  };
  const move = (dst: Reg, src: Reg): void => {
    if (needs(dst)) push(partners, dst, src);
    if (needs(src)) push(partners, src, dst);
  };

  const { liveOut } = computeLiveness(fn);
  const live = new OrderedSet(fn.nextReg);
  for (const b of fn.blocks) {
    live.clear();
    for (const r of liveOut.get(b.id)!) live.add(r);
    for (const u of termUses(b.term)) { live.add(u); if (needs(u) && !taken.has(u)) taken.set(u, 0); }
    for (let k = b.insts.length - 1; k >= 0; k--) {
      const i = b.insts[k]!;
      const uses = instUses(i);
      const defs = instDefs(i);
      if (i.k === "mov") {
        live.delete(i.src);
        move(i.dst, i.src);
      } else if (i.k === "args") {
        for (const m of i.moves) { live.delete(m.src); move(m.dst, m.src); }
      }
      for (const d of defs) live.add(d);
      for (const d of defs) for (let l = live.first(); l >= 0; l = live.after(l)) interfere(l, d);
      for (const d of defs) live.delete(d);
      for (const u of uses) live.add(u);
      if (i.k === "setcc") for (const u of uses) interfere(i.dst, u);
      for (const r of [...uses, ...defs]) if (needs(r) && !taken.has(r)) taken.set(r, 0);
    }
  }

  const colors = new Map(kept);
  for (const t of [...taken.keys()].sort((a, b) => a - b)) {
    let busy = taken.get(t)!;
    for (const n of neighbours.get(t) ?? []) { const c = colors.get(n); if (c !== undefined) busy |= 1 << c; }
    if (busy === ALL_COLORS) return undefined;
    const free = (c: Reg | undefined): c is Reg => c !== undefined && (busy & (1 << c)) === 0;
    const hint = fn.hints.get(t);
    const partner = (partners.get(t) ?? []).map((p) => colors.get(p) ?? (p < FIRST_VREG ? p : undefined)).find(free);
    colors.set(t, free(hint) ? hint : partner ?? COLOR_ORDER.find(free)!);
  }
  return colors;
}
