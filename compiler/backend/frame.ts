// Stack frame layout: every slot (the IR's and the allocator's spill slots) gets an offset
// below the frame pointer R10.
// In: the slots of an MFunction. Out: offset per slot id (negative: the slot occupies
// [R10 + offset, R10 + offset + size)) and the frame size, a multiple of 8.
// Larger alignments are placed first so padding stays small; each slot's offset is a
// multiple of its alignment (spill slots: 8, where the verifier tracks spilled pointers).
// A frame over 512 bytes, the BPF limit, is a BackendError with code "stack".

import type { Loc } from "../ir/ir.js";
import { BackendError } from "./errors.js";
import type { MSlot } from "./mir.js";

export const MAX_STACK = 512;

export interface Frame {
  offsets: Map<number, number>;
  size: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function layoutFrame(slots: MSlot[], fnName = "function", loc?: Loc): Frame {
  const order = slots
    .map((s, index) => ({ s, index }))
    .sort((x, y) => Math.max(y.s.align, 1) - Math.max(x.s.align, 1) || x.index - y.index);
  const offsets = new Map<number, number>();
  let depth = 0;
  for (const { s } of order) {
    const align = Math.max(1, s.align);
    depth = alignUp(depth + Math.max(0, s.size), align);
    offsets.set(s.id, -depth);
  }
  const size = alignUp(depth, 8);
  if (size > MAX_STACK) {
    const locals = slots.filter((s) => !s.spill);
    const spilled = slots.length - locals.length;
    const big = [...locals].sort((a, b) => b.size - a.size).slice(0, 3).map((s) => `${s.name} (${s.size} bytes)`);
    const parts = [
      ...(big.length > 0 ? [`largest locals: ${big.join(", ")}`] : []),
      ...(spilled > 0 ? [`${spilled * 8} bytes hold values spilled from registers`] : []),
    ];
    const detail = parts.length > 0 ? ` (${parts.join("; ")})` : "";
    throw new BackendError("stack", `${fnName} needs ${size} bytes of BPF stack, over the limit of ${MAX_STACK}${detail}`, loc, { bytes: size, detail });
  }
  return { offsets, size };
}
