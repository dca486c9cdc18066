// When each stack slot is in use, so that slots never in use at the same time can share
// their bytes of the frame (a handler with a thousand map updates needs a key and a value
// slot at a time, not a thousand of each).
// In: an MFunction before register allocation (registers still virtual, so a pointer
// made by `addr` is followed through the registers it is copied or added into).
// Out: per slot id, the interval [start, end] of instruction positions, in block layout
// order, from its first to its last use, where a use is a load or store of the slot, or
// any use of a register that may hold its address (plus the call after an argument move).
// An interval that meets a loop (the blocks from a backward jump's target to its source)
// covers the whole loop, since a later iteration may read what an earlier one wrote.

import { instDefs, instUses, isPhys, successors, termUses, type MFunction, type Reg } from "./mir.js";

export interface Interval { start: number; end: number }

export function slotIntervals(fn: MFunction): Map<number, Interval> {
  const intervals = new Map<number, Interval>();
  const touch = (slot: number, pos: number): void => {
    const iv = intervals.get(slot);
    if (!iv) intervals.set(slot, { start: pos, end: pos });
    else { iv.start = Math.min(iv.start, pos); iv.end = Math.max(iv.end, pos); }
  };
  // Registers that may hold a slot's address: set by addr, spread by whatever reads them.
  const pointsTo = new Map<Reg, Set<number>>();
  const blockStart = new Map<number, number>();
  const blockEnd = new Map<number, number>();
  let pos = 0;
  for (const b of fn.blocks) {
    blockStart.set(b.id, pos);
    for (const i of b.insts) {
      const derived = new Set<number>();
      for (const r of instUses(i)) for (const s of pointsTo.get(r) ?? []) derived.add(s);
      if (i.k === "addr") derived.add(i.slot);
      if ((i.k === "ldx" || i.k === "stx" || i.k === "st" || i.k === "xadd") && "slot" in i.mem) touch(i.mem.slot, pos);
      // An argument move hands the address to the call right after it.
      for (const s of derived) { touch(s, pos); if (i.k === "args") touch(s, pos + 1); }
      if (derived.size > 0) {
        // Physical registers are only argument moves into a call, which ends their use.
        for (const d of instDefs(i).filter((r) => !isPhys(r))) {
          const set = pointsTo.get(d) ?? new Set<number>();
          for (const s of derived) set.add(s);
          pointsTo.set(d, set);
        }
      }
      pos++;
    }
    for (const r of termUses(b.term)) for (const s of pointsTo.get(r) ?? []) touch(s, pos);
    blockEnd.set(b.id, pos);
    pos++;
  }
  const loops: Interval[] = [];
  for (const b of fn.blocks) {
    for (const t of successors(b.term)) {
      if (blockStart.get(t)! <= blockStart.get(b.id)!) loops.push({ start: blockStart.get(t)!, end: blockEnd.get(b.id)! });
    }
  }
  // Loops that overlap act as one: an interval meeting either covers both. Merged, they
  // are disjoint and sorted, and an interval covers each merged loop it meets.
  loops.sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const l of loops) {
    const last = merged[merged.length - 1];
    if (last && l.start <= last.end) last.end = Math.max(last.end, l.end);
    else merged.push({ ...l });
  }
  for (const iv of intervals.values()) {
    // The first merged loop ending at or after the interval's start.
    let lo = 0, hi = merged.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (merged[mid]!.end < iv.start) lo = mid + 1; else hi = mid; }
    const end = iv.end;
    for (let k = lo; k < merged.length && merged[k]!.start <= end; k++) {
      iv.start = Math.min(iv.start, merged[k]!.start);
      iv.end = Math.max(iv.end, merged[k]!.end);
    }
  }
  return intervals;
}
