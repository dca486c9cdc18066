// Copies of IR, so that a pass can rewrite its own copy and leave what it was handed as
// it was. Instructions and terminators are copied one level deep: passes replace their
// fields (a target, a source operand), never the objects those fields point to.
// In: an IrFunction or an instruction. Out: a copy sharing nothing a pass changes.

import type { Inst, IrFunction } from "./ir.js";

export function copyInst(i: Inst): Inst {
  return i.op === "call" ? { ...i, args: [...i.args] } : { ...i };
}

export function copyFunction(fn: IrFunction): IrFunction {
  return {
    ...fn,
    params: [...fn.params],
    hints: new Map(fn.hints),
    blocks: fn.blocks.map((b) => ({ id: b.id, insts: b.insts.map(copyInst), term: { ...b.term } })),
    slots: fn.slots.map((s) => ({ ...s })),
  };
}
