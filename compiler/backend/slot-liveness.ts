// When each stack slot is in use, so that slots never in use at the same time can share
// their bytes of the frame (a handler with a thousand map updates needs a key and a value
// slot at a time, not a thousand of each; the two arms of an `if` in a loop, each with a
// map update, one key slot between them).
// In: an MFunction before register allocation (registers still virtual, so a pointer
// made by `addr` is followed through the registers it is copied or added into).
// Out: per slot id, the interval [start, end] of instruction positions, in block layout
// order, from its first to its last use, where a use is a load or store of the slot, or
// any use of a register that may hold its address (plus the call after an argument move).
// A slot that holds a value from one iteration of a loop into the next (live where a
// backward jump lands: read there before it is written over whole) has its interval
// cover that loop (the blocks from the jump's target to its source). Every other slot is
// written before it is read within the stretch of layout between its uses, since its
// value reaches a read along forward jumps only, and the layout puts each forward jump's
// target after it.
// Sharing bytes between the slots of two arms also matters to the verifier: states that
// meet after the arms then hold the same stack, and one prunes the other (with a slot per
// arm, a loop of such arms verified in time quadratic in its iterations).

import { instDefs, instUses, isPhys, successors, termUses, type MFunction, type MInst, type Reg } from "./mir.js";

export interface Interval { start: number; end: number }

type PointedBy = (regs: readonly Reg[], f: (slot: number) => void) => void;

export function slotIntervals(fn: MFunction): Map<number, Interval> {
  const pointsTo = addressHolders(fn);
  /** f of each slot the registers may point at (of one twice when two may). */
  const pointedBy: PointedBy = (regs, f) => {
    for (const r of regs) pointsTo.get(r)?.forEach(f);
  };
  const intervals = new Map<number, Interval>();
  const touch = (slot: number, pos: number): void => {
    const iv = intervals.get(slot);
    if (!iv) intervals.set(slot, { start: pos, end: pos });
    else { iv.start = Math.min(iv.start, pos); iv.end = Math.max(iv.end, pos); }
  };
  const blockStart = new Map<number, number>();
  const blockEnd = new Map<number, number>();
  let pos = 0;
  for (const b of fn.blocks) {
    blockStart.set(b.id, pos);
    for (const i of b.insts) {
      const slot = slotOf(i);
      if (slot !== undefined) touch(slot, pos);
      // An argument move hands the address to the call right after it.
      pointedBy(instUses(i), (s) => { touch(s, pos); if (i.k === "args") touch(s, pos + 1); });
      pos++;
    }
    pointedBy(termUses(b.term), (s) => touch(s, pos));
    blockEnd.set(b.id, pos);
    pos++;
  }
  const backEdges: { head: number; loop: Interval }[] = [];
  for (const b of fn.blocks) {
    for (const t of successors(b.term)) {
      if (blockStart.get(t)! <= blockStart.get(b.id)!) backEdges.push({ head: t, loop: { start: blockStart.get(t)!, end: blockEnd.get(b.id)! } });
    }
  }
  if (backEdges.length === 0) return intervals;
  const inLoops = [...intervals].filter(([, iv]) => backEdges.some(({ loop }) => iv.start <= loop.end && iv.end >= loop.start)).map(([s]) => s);
  const carried = slotsLiveAt(fn, inLoops, pointedBy, new Set(backEdges.map((e) => e.head)));
  for (const { head, loop } of backEdges) {
    for (const s of carried.get(head) ?? []) {
      const iv = intervals.get(s)!;
      iv.start = Math.min(iv.start, loop.start);
      iv.end = Math.max(iv.end, loop.end);
    }
  }
  return intervals;
}

/** The slot a load, store or atomic add addresses directly. */
function slotOf(i: MInst): number | undefined {
  return (i.k === "ldx" || i.k === "stx" || i.k === "st" || i.k === "xadd") && "slot" in i.mem ? i.mem.slot : undefined;
}

/** Per virtual register, the slots whose address it may hold: an `addr`'s, and what a
 *  copy or arithmetic makes of it, over every definition of the register (to a fixed
 *  point, so a pointer a loop carries around its backward jump counts where it is used
 *  before, in layout, it is defined). Physical registers only carry argument moves into a
 *  call, which ends their use. */
function addressHolders(fn: MFunction): Map<Reg, Set<number>> {
  const out = new Map<Reg, Set<number>>();
  for (let changed = true; changed;) {
    changed = false;
    for (const b of fn.blocks) {
      for (const i of b.insts) {
        // The slots come from the addr's own, or from the sets of the registers it reads
        // (one of which may be the set it adds to: adding its own members changes nothing).
        let from: Set<number>[] | undefined;
        if (i.k !== "addr") for (const r of instUses(i)) { const s = out.get(r); if (s) (from ??= []).push(s); }
        if (i.k !== "addr" && from === undefined) continue;
        for (const d of instDefs(i)) {
          if (isPhys(d)) continue;
          let set = out.get(d);
          if (!set) out.set(d, (set = new Set()));
          const before = set.size;
          if (i.k === "addr") set.add(i.slot);
          else for (const f of from!) for (const s of f) set.add(s);
          changed ||= set.size !== before;
        }
      }
    }
  }
  return out;
}

/** Of the given slots, those live at the start of each block in `at`: read on some path
 *  from there before every byte of the slot is written. A read is a load of bytes not
 *  yet written, an atomic add, or any use of a register that may hold the slot's address
 *  (a helper may read what it points at, or write it: taken as a read either way). */
function slotsLiveAt(fn: MFunction, slots: number[], pointedBy: PointedBy, at: Set<number>): Map<number, number[]> {
  const index = new Map(slots.map((s, k) => [s, k]));
  const sizes = new Map(fn.slots.map((s) => [s.id, s.size]));
  const words = (slots.length + 31) >>> 5;
  const bitsets = (): Uint32Array[] => fn.blocks.map(() => new Uint32Array(words));
  const gen = bitsets(), kill = bitsets(), liveIn = bitsets();
  fn.blocks.forEach((b, bi) => {
    const written = new Map<number, { bytes: Uint8Array; count: number }>();
    const killed = (k: number): boolean => (kill[bi]![k >>> 5]! & (1 << (k & 31))) !== 0;
    const read = (s: number, off = 0, size = sizes.get(s)!): void => {
      const k = index.get(s);
      if (k === undefined || killed(k)) return;
      const w = written.get(s);
      if (w && w.bytes.subarray(off, off + size).every((x) => x === 1)) return;
      gen[bi]![k >>> 5]! |= 1 << (k & 31);
    };
    const write = (s: number, off: number, size: number): void => {
      const k = index.get(s);
      if (k === undefined || killed(k)) return;
      let w = written.get(s);
      if (!w) written.set(s, (w = { bytes: new Uint8Array(sizes.get(s)!), count: 0 }));
      for (let x = off; x < Math.min(off + size, w.bytes.length); x++) if (w.bytes[x] === 0) { w.bytes[x] = 1; w.count++; }
      if (w.count === w.bytes.length) kill[bi]![k >>> 5]! |= 1 << (k & 31);
    };
    for (const i of b.insts) {
      pointedBy(instUses(i), (s) => read(s));
      if ((i.k === "ldx" || i.k === "xadd") && "slot" in i.mem) read(i.mem.slot, i.mem.off, i.size);
      else if ((i.k === "stx" || i.k === "st") && "slot" in i.mem) write(i.mem.slot, i.mem.off, i.size);
    }
    pointedBy(termUses(b.term), (s) => read(s));
  });
  const order = new Map(fn.blocks.map((b, bi) => [b.id, bi]));
  const succ = fn.blocks.map((b) => successors(b.term).map((t) => order.get(t)!));
  const out = new Uint32Array(words);
  for (let changed = true; changed;) {
    changed = false;
    for (let bi = fn.blocks.length - 1; bi >= 0; bi--) {
      out.fill(0);
      for (const t of succ[bi]!) for (let w = 0; w < words; w++) out[w]! |= liveIn[t]![w]!;
      const inB = liveIn[bi]!;
      for (let w = 0; w < words; w++) {
        const v = (gen[bi]![w]! | (out[w]! & ~kill[bi]![w]!)) >>> 0;
        if (v !== inB[w]) { inB[w] = v; changed = true; }
      }
    }
  }
  const live = new Map<number, number[]>();
  for (const id of at) {
    const inB = liveIn[order.get(id)!]!;
    live.set(id, slots.filter((_, k) => (inB[k >>> 5]! & (1 << (k & 31))) !== 0));
  }
  return live;
}
