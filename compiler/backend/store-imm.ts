// Which constant stores may be BPF_ST, a store of an immediate (no register to put the
// constant in first). In: the folded IrFunction and its slot pointers (slot-pointers.ts).
// Out: a predicate on its store instructions.
//
// The verifier remembers a constant stored to the stack, to read it back as that constant;
// before Linux 6.3 only when a register stored it (an aligned register spill, or a zero):
// the bytes a BPF_ST wrote read back as unknown. So a store into a stack slot is BPF_ST
// only where that cannot matter: the function never loads those bytes back itself, and the
// slot's address goes nowhere but into helper calls (which read it as plain memory). A store
// through a pointer is BPF_ST when the pointer is a helper's result or a map's or global's
// address (map values, ring-buffer records, globals), a copy of one, or one plus an offset
// (an element of an array in a map value); never through the context, which the
// verifier refuses BPF_ST into, nor through a parameter, which may point at a caller's stack.

import { isImm, type Inst, type IrFunction, type VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";
import { fitsS32 } from "./imm.js";
import type { SlotPointers } from "./slot-pointers.js";

type Store = Extract<Inst, { op: "store" }>;

export function storeImmediates(fn: IrFunction, ptrs: SlotPointers): (i: Store) => boolean {
  const sizes = new Map(fn.slots.map((s) => [s.id, s.size]));
  /** Per slot, the bytes the function loads itself. */
  const loaded = new Map<number, Uint8Array>();
  const escaped = new Set<number>();
  const escape = (r: VReg): void => { for (const s of ptrs.get(r) ?? []) escaped.add(s); };
  const defs: Inst[] = [];
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "load" && "slot" in i.base) {
        let bytes = loaded.get(i.base.slot);
        if (!bytes) loaded.set(i.base.slot, (bytes = new Uint8Array(sizes.get(i.base.slot) ?? 0)));
        bytes.fill(1, i.off, i.off + i.size);
      }
      const keeps = i.op === "mov" || i.op === "alu" || (i.op === "call" && "helper" in i);
      if (!keeps) for (const u of instUses(i)) escape(u);
      const d = instDst(i);
      if (d !== undefined) defs.push(i);
    }
    for (const u of termUses(b.term)) escape(u);
  }
  const heap = heapPointers(defs);
  return (i) => {
    if (!isImm(i.src) || (i.size === 8 && !fitsS32(i.src.imm))) return false;
    if ("reg" in i.base) return heap.has(i.base.reg) && !fn.params.includes(i.base.reg);
    const slot = i.base.slot;
    return !escaped.has(slot) && !(loaded.get(slot)?.subarray(i.off, i.off + i.size).includes(1) ?? false);
  };
}

/** The registers every definition of which is a helper's result, a map's or global's
 *  address, a copy of one, or one of those plus or minus a number (an element of a map
 *  value: `p + i * 8`). The largest such set: registers are dropped until every
 *  definition of those left qualifies, so a loop's `p += 8` keeps p in when p's other
 *  definitions do. Parameters have no definition here and are never in it. */
function heapPointers(defs: readonly Inst[]): Set<VReg> {
  const heap = new Set<VReg>();
  for (const i of defs) heap.add(instDst(i)!);
  const qualifies = (i: Inst): boolean =>
    i.op === "call" || i.op === "symref" || (i.op === "mov" && heap.has(i.src)) ||
    (i.op === "alu" && (i.alu === "add" || i.alu === "sub") && !i.w32 && heap.has(i.a) && (isImm(i.b) || !heap.has(i.b)));
  for (let changed = true; changed;) {
    changed = false;
    for (const i of defs) {
      const d = instDst(i)!;
      if (heap.has(d) && !qualifies(i)) { heap.delete(d); changed = true; }
    }
  }
  return heap;
}
