// Which IR registers may hold an address inside a stack slot: those an `addr` defines, and
// what a copy or an arithmetic operation makes of them (a field's or an element's address).
// In: an IrFunction. Out: per register, the slots it may point into (absent: none). The
// answer holds over the whole function (every definition of a register counts), found by
// iterating to a fixed point, so loops and registers defined in several places are covered.
// A subprogram's pointer parameter may point into its caller's stack, but into no slot of
// this function: it is not in the answer.

import type { IrFunction, VReg } from "../ir/ir.js";
import { instUses } from "../ir/uses.js";

export type SlotPointers = ReadonlyMap<VReg, ReadonlySet<number>>;

export function slotPointers(fn: IrFunction): SlotPointers {
  const out = new Map<VReg, Set<number>>();
  const add = (r: VReg, slots: Iterable<number>): boolean => {
    let set = out.get(r);
    if (!set) out.set(r, (set = new Set()));
    const before = set.size;
    for (const s of slots) set.add(s);
    return set.size !== before;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const b of fn.blocks) {
      for (const i of b.insts) {
        if (i.op === "addr") changed = add(i.dst, [i.slot]) || changed;
        else if (i.op === "mov" || i.op === "alu") {
          for (const u of instUses(i)) {
            const from = out.get(u);
            if (from && from.size > 0) changed = add(i.dst, from) || changed;
          }
        }
      }
    }
  }
  return out;
}
