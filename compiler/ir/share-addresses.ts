// One register per address in a function: a symref of a map or global (an ld_imm64, 2
// instruction slots) or an addr of a stack slot (r10 copied, plus an offset: 2) whose
// address an earlier one that dominates it already computed reads that register instead,
// where every reader of both reads the address as a base of its own (a load, a store, an
// atomic add, arithmetic): a setting read before and after a helper call is loaded through
// one address kept in R6..R9, as clang keeps it. An address a helper call takes as an
// argument is left alone: it must be moved into R1..R5 at each call anyway, so keeping it
// would cost a move per use, more than computing it again on a path that uses it once
// (a lookup whose hit path is the common one).
// Module globals of one data section share too (their symref's `at` gives section and
// offset): a global's address read only as a base, under the address of another global
// of its section that dominates it, goes, and its loads and stores read the other one's
// register at their offset moved by the distance between the two (settings checked one
// after another: one ld_imm64, as many loads).
// Where registers are short, the allocator computes a kept address again at each use
// (backend/spill.ts rematerializes both kinds) rather than spilling it.
// In: an IrFunction, changed in place. Out: each such instruction replaced by a mov of the
// dominating one's register (copies are read through by propagate-copies.ts), or, for
// another global's address, removed with its readers rebased.

import { dominators } from "./dominators.js";
import { isImm, type Inst, type IrFunction, type Operand, type VReg } from "./ir.js";
import { instUses, termUses, writeCounts } from "./uses.js";

export function shareAddresses(fn: IrFunction): void {
  const defs = writeCounts(fn);
  // Registers read by anything but a base or an operand: call arguments, copies, returns.
  const handedOn = new Set<VReg>();
  // Registers read only as the base of a load, a store or an atomic add, with the range of
  // the offsets they are read at.
  const bases = new Map<VReg, { min: number; max: number }>();
  const notBase = new Set<VReg>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "call") for (const a of i.args) if (!isImm(a)) handedOn.add(a);
      if (i.op === "mov") handedOn.add(i.src);
      if (i.op === "store" && !isImm(i.src)) handedOn.add(i.src);
      const at = memoryAt(i);
      if (at) {
        const r = bases.get(at.reg);
        bases.set(at.reg, { min: Math.min(r?.min ?? at.off, at.off), max: Math.max(r?.max ?? at.off, at.off) });
      }
      const operands = at ? (at.value === undefined || isImm(at.value) ? [] : [at.value]) : instUses(i);
      for (const u of operands) notBase.add(u);
    }
    for (const u of termUses(b.term)) notBase.add(u);
  }
  /** A register read only as a base, at offsets that stay s16 moved by `delta`. */
  const movable = (r: VReg, delta: number): boolean => {
    const at = bases.get(r);
    return !notBase.has(r) && at !== undefined && at.min + delta >= -0x8000 && at.max + delta <= 0x7fff;
  };
  let dominance: ((a: number, b: number) => boolean) | undefined;
  const dominates = (a: number, b: number): boolean => (dominance ??= dominators(fn))(a, b);
  /** By address (a module global's: its section): the registers holding it (defined once),
   *  with their block and the global's offset in the section. */
  const seen = new Map<string, { reg: VReg; block: number; offset: number }[]>();
  /** Registers whose readers read another register at an offset moved by `delta`. */
  const rebased = new Map<VReg, { reg: VReg; delta: number }>();
  // Blocks in layout order; a dominating block is placed before what it dominates only
  // in most layouts, so every earlier one is checked against each later one.
  for (const b of fn.blocks) {
    b.insts = b.insts.flatMap((i): Inst[] => {
      if ((i.op !== "symref" && i.op !== "addr") || defs.get(i.dst) !== 1 || handedOn.has(i.dst)) return [i];
      const { key, offset } = i.op === "addr" ? { key: `slot:${i.slot}+${i.off}`, offset: 0 }
        : i.at ? { key: `section:${i.at.section}`, offset: i.at.offset } : { key: `${i.kind}:${i.symbol}`, offset: 0 };
      const earlier = seen.get(key) ?? [];
      const reaches = (e: { block: number }): boolean => e.block === b.id || dominates(e.block, b.id);
      const holder = earlier.find((e) => reaches(e) && e.offset === offset) ?? earlier.find((e) => reaches(e) && movable(i.dst, offset - e.offset));
      if (holder && holder.offset === offset) return [{ op: "mov", dst: i.dst, src: holder.reg, ...(i.loc ? { loc: i.loc } : {}) }];
      if (holder) {
        rebased.set(i.dst, { reg: holder.reg, delta: offset - holder.offset });
        return [];
      }
      seen.set(key, [...earlier, { reg: i.dst, block: b.id, offset }]);
      return [i];
    });
  }
  if (rebased.size === 0) return;
  for (const b of fn.blocks) {
    b.insts = b.insts.map((i) => {
      const at = memoryAt(i);
      const to = at && rebased.get(at.reg);
      return at && to ? { ...i, base: { reg: to.reg }, off: at.off + to.delta } as Inst : i;
    });
  }
}

/** The register and offset a load, a store or an atomic add reads or writes memory at,
 *  and what a store or an atomic add writes there. */
function memoryAt(i: Inst): { reg: VReg; off: number; value?: Operand } | undefined {
  if (i.op === "load") return "reg" in i.base ? { reg: i.base.reg, off: i.off } : undefined;
  if (i.op === "store" || i.op === "atomic_add") return "reg" in i.base ? { reg: i.base.reg, off: i.off, value: i.src } : undefined;
  return undefined;
}
