// Loads that can sign-extend as they load (CPU v4's BPF_MEMSX), found on the folded IR
// before instruction selection. In: an IrFunction. Out: the loads whose only reader
// sign-extends them from their own width (the extension then becomes a copy).

import type { IrFunction, VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";

/** Loads of 1, 2 or 4 bytes, defined once, read once, by `ext signed` of as many bits. */
export function signExtendedLoads(fn: IrFunction): Set<VReg> {
  const defs = new Map<VReg, number>();
  const reads = new Map<VReg, number>();
  const count = (m: Map<VReg, number>, r: VReg): void => { m.set(r, (m.get(r) ?? 0) + 1); };
  const loadSize = new Map<VReg, number>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) count(defs, d);
      if (i.op === "load" && i.size < 8) loadSize.set(i.dst, i.size);
      for (const u of instUses(i)) count(reads, u);
    }
    for (const u of termUses(b.term)) count(reads, u);
  }
  const out = new Set<VReg>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op !== "ext" || !i.signed || (loadSize.get(i.src) ?? 0) * 8 !== i.bits) continue;
      if (defs.get(i.src) === 1 && reads.get(i.src) === 1 && !fn.params.includes(i.src)) out.add(i.src);
    }
  }
  return out;
}
