// Loads that read back what the same block just stored to the stack. A stack slot whose
// address nothing takes is reached only by the function's own loads and stores of it (no
// helper, no pointer can write it), so a load of exactly the bytes an earlier store in
// the block wrote, with no store over them and no new value of the stored register in
// between, reads the stored value: a struct local built field by field and then read
// whole (`{ counts: { ... } } as Union`.bits), or read back field by field. The struct
// of parameters past the fourth is left as it is (Slot.parameters).
// In: an IrFunction, changed in place. Out: each such load replaced by a copy of the
// stored register (zero-extended from the load's width, as the load would) or by the
// stored constant. Stores no load reads any more are left for the dead-store sweep.

import { isImm, type Inst, type IrFunction, type Operand, type Size } from "./ir.js";
import { instDst } from "./uses.js";

interface Stored { off: number; size: Size; src: Operand }

export function forwardStoresToLoads(fn: IrFunction): void {
  // The parameters' struct is read where the contract says, whoever could forward it.
  const addressed = new Set<number>(fn.slots.filter((s) => s.parameters).map((s) => s.id));
  for (const b of fn.blocks) for (const i of b.insts) if (i.op === "addr") addressed.add(i.slot);
  for (const b of fn.blocks) {
    const known = new Map<number, Stored[]>();
    /** By register: the slots holding a store of it (so that a new value of it forgets
     *  only those, not every slot's). */
    const storedIn = new Map<number, Set<number>>();
    b.insts = b.insts.map((i) => {
      let out = i;
      if (i.op === "load" && "slot" in i.base && !addressed.has(i.base.slot)) {
        const hit = known.get(i.base.slot)?.find((s) => s.off === i.off && s.size === i.size);
        if (hit) out = readBack(i.dst, hit, i.loc);
      } else if (i.op === "store" && "slot" in i.base && !addressed.has(i.base.slot)) {
        const untouched = (known.get(i.base.slot) ?? []).filter((s) => s.off + s.size <= i.off || i.off + i.size <= s.off);
        known.set(i.base.slot, [...untouched, { off: i.off, size: i.size, src: i.src }]);
        if (!isImm(i.src)) {
          const slots = storedIn.get(i.src);
          if (slots) slots.add(i.base.slot);
          else storedIn.set(i.src, new Set([i.base.slot]));
        }
      }
      const d = instDst(out);
      const slots = d === undefined ? undefined : storedIn.get(d);
      if (slots) {
        for (const slot of slots) known.set(slot, known.get(slot)!.filter((s) => s.src !== d));
        storedIn.delete(d!);
      }
      return out;
    });
  }
}

/** dst = what a load of `s.size` bytes reads back from the store `s`. */
function readBack(dst: number, s: Stored, loc: Inst["loc"]): Inst {
  const bits = s.size * 8;
  if (isImm(s.src)) return { op: "const", dst, value: BigInt.asIntN(64, BigInt.asUintN(bits, s.src.imm)), loc };
  if (s.size === 8) return { op: "mov", dst, src: s.src, loc };
  return { op: "ext", dst, src: s.src, bits: bits as 8 | 16 | 32, signed: false, loc };
}
