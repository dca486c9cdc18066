// One register per address in a function: a symref of a map or global (an ld_imm64, 2
// instruction slots) or an addr of a stack slot (r10 copied, plus an offset: 2) whose
// address an earlier one that dominates it already computed reads that register instead.
// The register allocator then keeps the address where it is free to (R6..R9 across helper
// calls, as clang keeps a setting's address read before and after a call: a map key's
// address passed to a lookup, an update and a delete is computed once) or, where registers
// are short, computes it again at each use (backend/spill.ts rematerializes both) rather
// than spilling it.
// In: an IrFunction, changed in place. Out: each such instruction replaced by a mov of the
// dominating one's register; copies are read through by propagate-copies.ts.

import { dominators } from "./dominators.js";
import type { IrFunction, VReg } from "./ir.js";
import { instDst } from "./uses.js";

export function shareAddresses(fn: IrFunction): void {
  const defs = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) defs.set(d, (defs.get(d) ?? 0) + 1);
    }
  }
  const dominates = dominators(fn);
  /** By address: the registers holding it (defined once), with their block. */
  const seen = new Map<string, { reg: VReg; block: number }[]>();
  // Blocks in layout order; a dominating block is placed before what it dominates only
  // in most layouts, so every earlier one is checked against each later one.
  for (const b of fn.blocks) {
    b.insts = b.insts.map((i) => {
      if ((i.op !== "symref" && i.op !== "addr") || defs.get(i.dst) !== 1) return i;
      const key = i.op === "symref" ? `${i.kind}:${i.symbol}` : `slot:${i.slot}+${i.off}`;
      const earlier = seen.get(key) ?? [];
      const holder = earlier.find((e) => e.block === b.id || dominates(e.block, b.id));
      if (holder) return { op: "mov", dst: i.dst, src: holder.reg, ...(i.loc ? { loc: i.loc } : {}) };
      seen.set(key, [...earlier, { reg: i.dst, block: b.id }]);
      return i;
    });
  }
}
