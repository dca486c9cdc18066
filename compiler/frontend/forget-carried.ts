// Values a loop carries into its next iteration, made unknown to the verifier at the
// loop's back edge, so that the states it reaches at the loop's head differ only in the
// loop counters. The verifier walks every iteration of a bounded loop on every path,
// and stops walking a path at the head only when an earlier path reached it in a state
// that covers this one. A variable that the loop writes on some paths only, or that a
// branch narrows on some paths only (`if (a == 0)` leaves a = 0 behind), reaches the head
// with a different range on each path; where the verifier needs the value exactly (a
// run-time index, a branch it decides from the range), the states never cover each other
// and its work grows with the paths, exponentially with the iterations (known-bugs.md 1).
// Forgotten at the back edge (an ir `forget`), such a value is unknown at every head, on
// every path: the iterations' paths meet again there. Nothing the compiler emits needs the
// verifier to know more of a variable (indexes and offsets are checked where they are
// used, helper sizes are constants) but a loop's counter, which keeps its value.
// Only what can differ by path is forgotten: a variable bound before the loop that the
// loop writes, or that a branch narrows on a path staying in the loop (`x != y` narrows
// neither), in a loop with such a branch or a call of a function (whose result may differ
// by the paths through it).
// In: a lowered function's IR and its loops (their latches, and the integer variables
// bound when each began: registers, and scalars in stack slots, a struct's or an array's
// included). Out: the IR, changed in place: at the end of each such loop's latch, a
// forget of each such variable read after the back edge, but the loop counters; one in
// memory is loaded, forgotten and stored back.

import { isImm, type Block, type CmpOp, type Inst, type IrFunction, type Operand, type Size, type VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";
import type { LoopRegion } from "./values.js";

/** A scalar in a stack slot, as loads and stores reach it: "slot:off:size". */
type Location = string;

export function forgetCarriedValues(fn: IrFunction, loops: readonly LoopRegion[]): void {
  const counters = new Set(loops.flatMap((l) => (l.counter === undefined ? [] : [l.counter])));
  const conditions = new Set(loops.map((l) => l.head.id));
  const liveAtHead = liveIn(fn);
  const sources = copySources(fn);
  for (const loop of loops) {
    const blocks = fn.blocks.filter((b) => loop.head.id <= b.id && b.id < loop.exit.id);
    const stays = reachingLatch(blocks, loop.latch.id);
    const inLoop = (id: number) => stays.has(id);
    if (!blocks.some((b) => branchesOnData(b, conditions, inLoop))) continue;
    const written = new Set<VReg | Location>(), compared: VReg[] = [];
    for (const b of blocks) {
      for (const i of b.insts) {
        const d = instDst(i);
        if (d !== undefined) written.add(d);
        if (i.op === "store" && "slot" in i.base) written.add(locationOf(i.base.slot, i.off, i.size));
        if (i.op === "setcc") compared.push(...instUses(i));
      }
      const t = b.term;
      if (t.op === "br" && ((inLoop(t.then) && narrows(t.cmp, t.b)) || (inLoop(t.else) && narrows(NEGATED[t.cmp], t.b)))) compared.push(...termUses(t));
    }
    const narrowed = tiedTo(compared, sources);
    const changes = (v: VReg | Location) => written.has(v) || narrowed.has(v);
    const live = liveAtHead.get(loop.head.id)!;
    const regs = [...new Set(loop.carried.regs)].filter((v) => !counters.has(v) && live.has(v) && changes(v)).sort((x, y) => x - y);
    const latch = loop.latch.insts;
    for (const v of regs) latch.push({ op: "forget", dst: v, src: v });
    for (const { slot, off, size } of memoryRead(fn, loop.head.id)) {
      if (!loop.carried.memory.some((m) => m.slot === slot && m.off <= off && off + size <= m.off + m.size) || !changes(locationOf(slot, off, size))) continue;
      const v = fn.nextReg++;
      latch.push({ op: "load", dst: v, base: { slot }, off, size }, { op: "forget", dst: v, src: v }, { op: "store", base: { slot }, off, size, src: v });
    }
  }
}

/** The blocks of a loop from which its latch can be reached without leaving it (a
 *  break or a return leaves). */
function reachingLatch(blocks: readonly Block[], latch: number): Set<number> {
  const reaching = new Set([latch]);
  for (let grew = true; grew;) {
    grew = false;
    for (const b of blocks) {
      if (reaching.has(b.id) || !successors(b).some((t) => reaching.has(t))) continue;
      reaching.add(b.id);
      grew = true;
    }
  }
  return reaching;
}

function successors(b: Block): number[] {
  return b.term.op === "jmp" ? [b.term.target] : b.term.op === "br" ? [b.term.then, b.term.else] : [];
}

function locationOf(slot: number, off: number, size: Size): Location {
  return `${slot}:${off}:${size}`;
}

/** The scalars loaded from stack slots in the blocks from `from` on, once each. */
function memoryRead(fn: IrFunction, from: number): { slot: number; off: number; size: Size }[] {
  const seen = new Map<Location, { slot: number; off: number; size: Size }>();
  for (const b of fn.blocks) {
    if (b.id < from) continue;
    for (const i of b.insts) if (i.op === "load" && "slot" in i.base) seen.set(locationOf(i.base.slot, i.off, i.size), { slot: i.base.slot, off: i.off, size: i.size });
  }
  return [...seen.values()];
}

const NEGATED: Record<CmpOp, CmpOp | "clear"> = {
  eq: "ne", ne: "eq", set: "clear", ugt: "ule", uge: "ult", ult: "uge", ule: "ugt", sgt: "sle", sge: "slt", slt: "sge", sle: "sgt",
};

/** Whether the verifier learns something of a and b where `a cmp b` holds: not where two
 *  registers differ. */
function narrows(cmp: CmpOp | "clear", b: Operand): boolean {
  return cmp !== "ne" || isImm(b);
}

/** Whether a block may branch on data and stay in the loop: a compare that is not a
 *  loop's condition on its counter and whose two ways both stay (`inLoop`; a value
 *  compare is one, expanded to branches), or a call of a function, whose result may
 *  differ by the paths through it. */
function branchesOnData(b: Block, conditions: ReadonlySet<number>, inLoop: (id: number) => boolean): boolean {
  if (b.term.op === "br" && !conditions.has(b.id) && inLoop(b.term.then) && inLoop(b.term.else)) return true;
  return b.insts.some((i) => i.op === "setcc" || (i.op === "call" && "fn" in i));
}

/** For each register, the registers and stack scalars a branch on it may narrow: those
 *  it may be a copy of, give or take a constant (the verifier ties such a copy to its
 *  source, and a branch that narrows one narrows both), and the operands of an `and`
 *  (the backend fuses `(a & b) != 0` into a BPF_JSET, which narrows a and b). */
function copySources(fn: IrFunction): Map<VReg, (VReg | Location)[]> {
  const sources = new Map<VReg, (VReg | Location)[]>();
  const ties = (i: Inst): (VReg | Location)[] => {
    if (i.op === "mov" || i.op === "ext") return [i.src];
    if (i.op === "alu" && (i.alu === "add" || i.alu === "sub") && isImm(i.b)) return [i.a];
    if (i.op === "alu" && i.alu === "and") return isImm(i.b) ? [i.a] : [i.a, i.b];
    if (i.op === "load" && "slot" in i.base) return [locationOf(i.base.slot, i.off, i.size)];
    return [];
  };
  for (const b of fn.blocks) for (const i of b.insts) {
    const d = instDst(i);
    if (d !== undefined) sources.set(d, [...(sources.get(d) ?? []), ...ties(i)]);
  }
  return sources;
}

function tiedTo(regs: readonly VReg[], sources: ReadonlyMap<VReg, (VReg | Location)[]>): Set<VReg | Location> {
  const tied = new Set<VReg | Location>();
  const work: (VReg | Location)[] = [...regs];
  while (work.length) {
    const r = work.pop()!;
    if (tied.has(r)) continue;
    tied.add(r);
    if (typeof r === "number") work.push(...(sources.get(r) ?? []));
  }
  return tied;
}

/** The registers live at the start of each block. */
function liveIn(fn: IrFunction): Map<number, Set<VReg>> {
  const live = new Map(fn.blocks.map((b) => [b.id, new Set<VReg>()]));
  for (let changed = true; changed;) {
    changed = false;
    for (const b of [...fn.blocks].reverse()) {
      const s = new Set<VReg>(successors(b).flatMap((t) => [...live.get(t)!]));
      for (const u of termUses(b.term)) s.add(u);
      for (const i of [...b.insts].reverse()) {
        const d = instDst(i);
        if (d !== undefined) s.delete(d);
        for (const u of instUses(i)) s.add(u);
      }
      const old = live.get(b.id)!;
      if (s.size !== old.size) { live.set(b.id, s); changed = true; }
    }
  }
  return live;
}
