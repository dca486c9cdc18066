// Stack slots that hold the same value share one slot: a map key built for get() is
// reused by the set() or delete() that follows instead of being stored again.
// In: an IrFunction being cleaned up (cleanup.ts, on its own copy). Out: the same
// function, changed in place: for two
// read-only slots (Slot.readOnly) written by one whole-slot store each of the same
// immediate, or of the same register that has a single definition, where the first store
// dominates the second, the second store is deleted and its slot's addresses point at
// the first slot. dropUnusedSlots then removes the slots nothing refers to any more.

import { dominators } from "./dominators.js";
import { isImm, type Inst, type IrFunction, type VReg } from "./ir.js";

interface Writer { slot: number; block: number; index: number; key: string }

export function shareSlots(fn: IrFunction): IrFunction {
  const readOnly = new Set(fn.slots.filter((s) => s.readOnly).map((s) => s.id));
  if (readOnly.size < 2) return fn;
  const defs = new Map<VReg, number>();
  const stores = new Map<number, Writer[]>();
  fn.blocks.forEach((b) => b.insts.forEach((i, index) => {
    if ("dst" in i && i.dst !== undefined) defs.set(i.dst, (defs.get(i.dst) ?? 0) + 1);
    if (i.op === "store" && "slot" in i.base && readOnly.has(i.base.slot)) {
      const list = stores.get(i.base.slot) ?? [];
      list.push({ slot: i.base.slot, block: b.id, index, key: `${i.size}:${isImm(i.src) ? `#${i.src.imm}` : `%${i.src}`}` });
      stores.set(i.base.slot, list);
    }
  }));
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const wholeSlotStore = (w: Writer) => {
    const i = byId.get(w.block)!.insts[w.index] as Extract<Inst, { op: "store" }>;
    const slot = fn.slots[w.slot];
    return i.off === 0 && i.size === slot.size && (isImm(i.src) || defs.get(i.src) === 1);
  };
  const writers = [...stores.values()].filter((l) => l.length === 1 && wholeSlotStore(l[0])).map((l) => l[0]);
  const dom = dominators(fn);
  const dominatesStore = (a: Writer, b: Writer) => (a.block === b.block ? a.index < b.index : dom(a.block, b.block));

  // Each writer shares the slot of the first writer of the same value (in `writers` order)
  // that dominates it and shares no other's.
  const sameValue = new Map<string, Writer[]>();
  for (const w of writers) {
    const l = sameValue.get(w.key);
    if (l) l.push(w);
    else sameValue.set(w.key, [w]);
  }
  const replace = new Map<number, number>();
  const dead = new Map<number, Set<number>>();
  for (const w of writers) {
    const earlier = sameValue.get(w.key)!.find((o) => o !== w && !replace.has(o.slot) && dominatesStore(o, w));
    if (!earlier) continue;
    replace.set(w.slot, earlier.slot);
    const inBlock = dead.get(w.block) ?? new Set<number>();
    inBlock.add(w.index);
    dead.set(w.block, inBlock);
  }
  if (replace.size === 0) return fn;
  for (const b of fn.blocks) {
    const drop = dead.get(b.id);
    if (drop) b.insts = b.insts.filter((_, index) => !drop.has(index));
    for (const i of b.insts) if (i.op === "addr" && replace.has(i.slot)) i.slot = replace.get(i.slot)!;
  }
  return fn;
}

/** Removes slots no instruction refers to and renumbers the rest (slot id = index). */
export function dropUnusedSlots(fn: IrFunction): IrFunction {
  const used = new Set<number>();
  const slotOf = (i: Inst) => (i.op === "addr" ? i.slot : (i.op === "load" || i.op === "store") && "slot" in i.base ? i.base.slot : undefined);
  for (const b of fn.blocks) for (const i of b.insts) { const s = slotOf(i); if (s !== undefined) used.add(s); }
  const kept = fn.slots.filter((s) => used.has(s.id));
  const renumber = new Map(kept.map((s, n) => [s.id, n]));
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "addr") i.slot = renumber.get(i.slot)!;
      else if ((i.op === "load" || i.op === "store") && "slot" in i.base) i.base = { slot: renumber.get(i.base.slot)! };
    }
  }
  fn.slots = kept.map((s, n) => ({ ...s, id: n }));
  return fn;
}
