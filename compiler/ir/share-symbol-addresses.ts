// One address per map or global in a function: a symref (an ld_imm64 of 2 instruction
// slots) of a symbol whose address an earlier symref that dominates it already computed
// reads that register instead. The register allocator then keeps the address where it
// is free to (R6..R9 across helper calls, as clang keeps a setting's address read before
// and after a call) or, where registers are short, repeats the ld_imm64 at each use
// (backend/spill.ts rematerializes a symref) rather than spilling it.
// In: an IrFunction, changed in place. Out: each such symref replaced by a mov of the
// dominating one's register; copies are read through by propagate-copies.ts.

import { dominators } from "./dominators.js";
import type { IrFunction, VReg } from "./ir.js";
import { instDst } from "./uses.js";

export function shareSymbolAddresses(fn: IrFunction): void {
  const defs = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) defs.set(d, (defs.get(d) ?? 0) + 1);
    }
  }
  const dominates = dominators(fn);
  /** By symbol: the registers holding its address (defined once), with their block. */
  const seen = new Map<string, { reg: VReg; block: number }[]>();
  // Blocks in layout order; a dominating block is placed before what it dominates only
  // in most layouts, so every earlier symref is checked against each later one.
  for (const b of fn.blocks) {
    b.insts = b.insts.map((i) => {
      if (i.op !== "symref" || defs.get(i.dst) !== 1) return i;
      const key = `${i.kind}:${i.symbol}`;
      const earlier = seen.get(key) ?? [];
      const holder = earlier.find((e) => e.block === b.id || dominates(e.block, b.id));
      if (holder) return { op: "mov", dst: i.dst, src: holder.reg, ...(i.loc ? { loc: i.loc } : {}) };
      seen.set(key, [...earlier, { reg: i.dst, block: b.id }]);
      return i;
    });
  }
}
