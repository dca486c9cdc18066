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
// address (map values, ring-buffer records, globals); never through the context, which the
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
  const heapDefs = new Map<VReg, boolean>();
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
      if (d !== undefined) heapDefs.set(d, (heapDefs.get(d) ?? true) && (i.op === "call" || i.op === "symref"));
    }
    for (const u of termUses(b.term)) escape(u);
  }
  return (i) => {
    if (!isImm(i.src) || (i.size === 8 && !fitsS32(i.src.imm))) return false;
    if ("reg" in i.base) return heapDefs.get(i.base.reg) === true && !fn.params.includes(i.base.reg);
    const slot = i.base.slot;
    return !escaped.has(slot) && !(loaded.get(slot)?.subarray(i.off, i.off + i.size).includes(1) ?? false);
  };
}
