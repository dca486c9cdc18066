// One register per address in a function: a symref of a map or global (an ld_imm64, 2
// instruction slots) or an addr of a stack slot (r10 copied, plus an offset: 2) whose
// address an earlier one that dominates it already computed reads that register instead,
// where every reader of both reads the address as a base of its own (a load, a store, an
// atomic add, arithmetic): a setting read before and after a helper call is loaded through
// one address kept in R6..R9, as clang keeps it. An address a helper call takes as an
// argument is left alone: it must be moved into R1..R5 at each call anyway, so keeping it
// would cost a move per use, more than computing it again on a path that uses it once
// (a lookup whose hit path is the common one).
// Where registers are short, the allocator computes a kept address again at each use
// (backend/spill.ts rematerializes both kinds) rather than spilling it.
// In: an IrFunction, changed in place. Out: each such instruction replaced by a mov of the
// dominating one's register; copies are read through by propagate-copies.ts.

import { dominators } from "./dominators.js";
import { isImm, type IrFunction, type VReg } from "./ir.js";
import { writeCounts } from "./uses.js";

export function shareAddresses(fn: IrFunction): void {
  const defs = writeCounts(fn);
  // Registers read by anything but a base or an operand: call arguments, copies, returns.
  const handedOn = new Set<VReg>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "call") for (const a of i.args) if (!isImm(a)) handedOn.add(a);
      if (i.op === "mov") handedOn.add(i.src);
      if (i.op === "store" && !isImm(i.src)) handedOn.add(i.src);
    }
    if (b.term.op === "ret" && !isImm(b.term.value)) handedOn.add(b.term.value);
  }
  const dominates = dominators(fn);
  /** By address: the registers holding it (defined once), with their block. */
  const seen = new Map<string, { reg: VReg; block: number }[]>();
  // Blocks in layout order; a dominating block is placed before what it dominates only
  // in most layouts, so every earlier one is checked against each later one.
  for (const b of fn.blocks) {
    b.insts = b.insts.map((i) => {
      if ((i.op !== "symref" && i.op !== "addr") || defs.get(i.dst) !== 1 || handedOn.has(i.dst)) return i;
      const key = i.op === "symref" ? `${i.kind}:${i.symbol}` : `slot:${i.slot}+${i.off}`;
      const earlier = seen.get(key) ?? [];
      const holder = earlier.find((e) => e.block === b.id || dominates(e.block, b.id));
      if (holder) return { op: "mov", dst: i.dst, src: holder.reg, ...(i.loc ? { loc: i.loc } : {}) };
      seen.set(key, [...earlier, { reg: i.dst, block: b.id }]);
      return i;
    });
  }
}
