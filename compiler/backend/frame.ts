// Stack frame layout: every slot (the IR's and the allocator's spill slots) gets an offset
// below the frame pointer R10.
// In: the slots of an MFunction and, for the IR's slots, when each is in use
// (slot-liveness.ts). Out: offset per slot id (negative: the slot occupies
// [R10 + offset, R10 + offset + size)) and the frame size, a multiple of 8.
// Slots whose intervals do not overlap may share bytes: in order of their first use (then
// larger alignments first), each slot takes the lowest place, at its alignment, that no
// slot in use at the same time holds. Spill slots, and slots without an interval, are in
// use throughout. Each offset is a multiple of the slot's alignment (spill slots: 8, where
// the verifier tracks spilled pointers).
// A frame over 512 bytes, the BPF limit, is a BackendError with code "stack".

import type { Loc } from "../ir/ir.js";
import { BackendError } from "./errors.js";
import type { MSlot } from "./mir.js";
import type { Interval } from "./slot-liveness.js";

export const MAX_STACK = 512;

export interface Frame {
  offsets: Map<number, number>;
  size: number;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A placed slot: it holds the bytes at depths [top - size, top) below R10. */
interface Placed { top: number; size: number; end: number }

export function layoutFrame(slots: MSlot[], live: ReadonlyMap<number, Interval> = new Map(), fnName = "function", loc?: Loc): Frame {
  const always: Interval = { start: -Infinity, end: Infinity };
  const order = slots
    .map((s, index) => ({ s, index, iv: (!s.spill && live.get(s.id)) || always }))
    .sort((x, y) => x.iv.start - y.iv.start || Math.max(y.s.align, 1) - Math.max(x.s.align, 1) || x.index - y.index);
  const offsets = new Map<number, number>();
  let active: Placed[] = [];
  let depth = 0;
  for (const { s, iv } of order) {
    active = active.filter((p) => p.end >= iv.start);
    const align = Math.max(1, s.align);
    const size = Math.max(0, s.size);
    const fits = (top: number) => active.every((p) => top <= p.top - p.size || top - size >= p.top);
    const candidates = [alignUp(size, align), ...active.map((p) => alignUp(p.top + size, align))].sort((a, b) => a - b);
    const top = candidates.find(fits)!;
    offsets.set(s.id, -top);
    active.push({ top, size, end: iv.end });
    depth = Math.max(depth, top);
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
