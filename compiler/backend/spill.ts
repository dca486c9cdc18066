// Spill code: registers the allocator could not color are kept in 8-byte stack slots (or,
// for constants and map, global or stack addresses, recomputed), and each instruction
// that touches one gets a fresh short-lived temporary with a load before it and a store
// after it.
// In: an MFunction and the spilled registers, grouped (a group shares one slot). Out: the same
// MFunction, changed in place: spill slots added to fn.slots (size 8, align 8: the verifier
// tracks spilled pointers only in aligned 8-byte slots), new temporaries in fn.spillTemps.

import {
  Asm, instDefs, instUses, renameInst, renameTerm, termUses, type MFunction, type MInst, type Reg,
} from "./mir.js";

/** The one instruction that defines a group and can be repeated at each use instead of
 *  a stack slot: a constant (movi, ld64), a map's or global's address (ldsym) or a stack
 *  slot's (addr). */
export type Remat = Extract<MInst, { k: "movi" | "ld64" | "ldsym" | "addr" }>;

export interface SpillGroup {
  regs: Reg[];
  /** Recomputed at each use instead of kept in a stack slot. */
  remat?: Remat;
  /** Filled in by rewriteSpills when the group needs a slot; groups with the same `share`
   *  key get the same slot (they never interfere). */
  share?: number;
}

/** Whether the instruction can be repeated where its result is used (no CO-RE immediate,
 *  which libbpf relocates at this instruction only). */
function isRemat(i: MInst): i is Remat {
  return ((i.k === "movi" || i.k === "ld64") && !i.core) || i.k === "ldsym" || i.k === "addr";
}

function rematInst(dst: Reg, def: Remat): MInst {
  return { ...def, dst };
}

/** The instruction each group can be recomputed from: its only definition, a movi, ld64,
 *  ldsym or addr (no CO-RE one). Groups are keyed by a representative; the result has an entry
 *  for each such group. */
export function rematValues(fn: MFunction, groups: Map<Reg, Reg[]>): Map<Reg, Remat> {
  const groupOf = new Map<Reg, Reg>();
  for (const [rep, regs] of groups) for (const r of regs) groupOf.set(r, rep);
  const defs = new Map<Reg, { count: number; def?: Remat }>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      for (const d of instDefs(i)) {
        const rep = groupOf.get(d);
        if (rep === undefined) continue;
        const e = defs.get(rep) ?? { count: 0 };
        e.count++;
        if (isRemat(i)) e.def = { ...i, loc: undefined };
        else delete e.def;
        defs.set(rep, e);
      }
    }
  }
  const out = new Map<Reg, Remat>();
  for (const [rep, e] of defs) if (e.count === 1 && e.def !== undefined) out.set(rep, e.def);
  return out;
}

export function rewriteSpills(fn: MFunction, groups: SpillGroup[]): void {
  const slotOfShare = new Map<number, number>();
  let nextSlot = Math.max(-1, ...fn.slots.map((s) => s.id)) + 1;
  const groupOf = new Map<Reg, { slot?: number; remat?: Remat; id: number }>();
  groups.forEach((g, id) => {
    let slot: number | undefined;
    if (g.remat === undefined) {
      const key = g.share ?? -1 - id;
      slot = slotOfShare.get(key);
      if (slot === undefined) {
        slot = nextSlot++;
        slotOfShare.set(key, slot);
        fn.slots.push({ id: slot, size: 8, align: 8, name: `spill.${slot}`, spill: true });
      }
    }
    for (const r of g.regs) groupOf.set(r, { ...(slot !== undefined ? { slot } : {}), ...(g.remat !== undefined ? { remat: g.remat } : {}), id });
  });

  const spilled = (r: Reg): boolean => groupOf.has(r);
  const temp = (): Reg => {
    const t = fn.nextReg++;
    fn.spillTemps.add(t);
    return t;
  };
  const at = (i: MInst, loc: MInst["loc"]): MInst => (loc ? { ...i, loc } : i);

  for (const b of fn.blocks) {
    const out: MInst[] = [];
    /** Loads (or recomputations) of the spilled registers `regs` into fresh temporaries. */
    const reload = (regs: Reg[], uses: readonly Reg[], loc: MInst["loc"]): Map<Reg, Reg> => {
      const rename = new Map<Reg, Reg>();
      for (const r of regs) {
        const t = temp();
        rename.set(r, t);
        if (!uses.includes(r)) continue;
        const g = groupOf.get(r)!;
        out.push(at(g.remat !== undefined ? rematInst(t, g.remat) : Asm.load(t, 8, { slot: g.slot!, off: 0 }), loc));
      }
      return rename;
    };
    for (const i of b.insts) {
      const uses = instUses(i);
      const defs = instDefs(i);
      if (!uses.some(spilled) && !defs.some(spilled)) { out.push(i); continue; }
      const regs = [...new Set([...uses, ...defs])].filter(spilled);
      if (i.k === "mov") {
        const d = groupOf.get(i.dst);
        const s = groupOf.get(i.src);
        if (d && s && d.id === s.id) continue;
        if (d?.slot !== undefined && !s) { out.push(at(Asm.store(8, { slot: d.slot, off: 0 }, i.src), i.loc)); continue; }
        if (s?.slot !== undefined && !d) { out.push(at(Asm.load(i.dst, 8, { slot: s.slot, off: 0 }), i.loc)); continue; }
        if (s?.remat !== undefined && !d) { out.push(at(rematInst(i.dst, s.remat), i.loc)); continue; }
      }
      if (isRemat(i) && groupOf.get(i.dst)?.remat !== undefined) continue;
      const rename = reload(regs, uses, i.loc);
      out.push(renameInst(i, (r) => rename.get(r) ?? r));
      for (const r of regs) {
        const g = groupOf.get(r)!;
        if (defs.includes(r) && g.slot !== undefined) out.push(at(Asm.store(8, { slot: g.slot, off: 0 }, rename.get(r)!), i.loc));
      }
    }
    const tUses = termUses(b.term).filter(spilled);
    if (tUses.length > 0) {
      const rename = reload([...new Set(tUses)], tUses, b.term.loc);
      b.term = renameTerm(b.term, (r) => rename.get(r) ?? r);
    }
    b.insts = out;
  }
}
