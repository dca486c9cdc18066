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
// loop writes on some of its paths only (under a branch on data, or by a call of a
// function, whose result may differ by the paths through it), that it computes from
// such a value, or that a branch whose two ways both stay in the loop narrows (a branch
// that leaves the loop one way narrows it the same on every path that stays) if the
// verifier may not know it exactly already (a constant, a load-time setting: one it
// knows decides its branches, and narrowing it changes nothing).
// In: a lowered function's IR and its loops (their latches, and the integer variables
// bound when each began: registers, and scalars in stack slots, a struct's or an array's
// included), the read-only data symbols (settings), and whether the function is a
// subprogram. Out: the IR, changed in place: at the end of a loop's latch, a forget of
// each such variable read after the back edge, but the loop counters; one in memory is
// loaded, forgotten and stored back.

import { dominators, successors } from "../ir/dominators.js";
import { isImm, type Block, type Inst, type IrFunction, type Operand, type Size, type VReg } from "../ir/ir.js";
import { instDst, instUses, termUses } from "../ir/uses.js";
import type { LoopRegion } from "./values.js";

/** Bytes of a stack slot, as a load or a store reaches them: "slot:off:size". */
type Location = string;

export function forgetCarriedValues(fn: IrFunction, loops: readonly LoopRegion[], readOnly: ReadonlySet<string>, subprogram: boolean): void {
  if (loops.length === 0) return;
  const counters = new Set(loops.flatMap((l) => (l.counter === undefined ? [] : [l.counter])));
  const liveAtHead = liveIn(fn);
  const sources = copySources(fn);
  const exact = exactValues(fn, readOnly, subprogram);
  for (const loop of loops) {
    const blocks = fn.blocks.filter((b) => loop.head.id <= b.id && b.id < loop.exit.id);
    const stays = reachingLatch(blocks, loop.latch.id);
    const staying = blocks.filter((b) => stays.has(b.id));
    const always = onEveryPath(fn, blocks, loop, loops);
    const compared: VReg[] = [];
    for (const b of staying) {
      for (const i of b.insts) if (i.op === "setcc") compared.push(...instUses(i));
      const t = b.term;
      if (t.op === "br" && stays.has(t.then) && stays.has(t.else)) compared.push(...termUses(t), ...jsetOperands(b));
    }
    const differs = new Set([...tiedTo(compared, sources)].filter((v) => !exact.has(v)));
    for (let grew = true; grew;) {
      grew = false;
      const mark = (v: VReg | Location): void => { if (!differs.has(v)) { differs.add(v); grew = true; } };
      for (const b of staying) {
        const sometimes = !always(b.id);
        for (const i of b.insts) {
          const d = instDst(i);
          const reads = instUses(i).some((u) => differs.has(u)) || (i.op === "load" && "slot" in i.base && overlapsAny(differs, i.base.slot, i.off, i.size));
          if (d !== undefined && (sometimes || reads || (i.op === "call" && "fn" in i))) mark(d);
          if (i.op === "store" && "slot" in i.base && (sometimes || (!isImm(i.src) && differs.has(i.src)))) mark(locationOf(i.base.slot, i.off, i.size));
        }
      }
    }
    const live = liveAtHead.get(loop.head.id)!;
    const regs = [...new Set(loop.carried.regs)].filter((v) => !counters.has(v) && live.has(v) && differs.has(v)).sort((x, y) => x - y);
    const latch = loop.latch.insts;
    for (const v of regs) latch.push({ op: "forget", dst: v, src: v });
    for (const { slot, off, size } of memoryRead(fn, loop.head.id)) {
      if (!loop.carried.memory.some((m) => m.slot === slot && m.off <= off && off + size <= m.off + m.size) || !overlapsAny(differs, slot, off, size)) continue;
      const v = fn.nextReg++;
      latch.push({ op: "load", dst: v, base: { slot }, off, size }, { op: "forget", dst: v, src: v }, { op: "store", base: { slot }, off, size, src: v });
    }
  }
}

/** Whether block b runs on every path of an iteration of the loop (`blocks`, its head
 *  first): whether it dominates the latch in the loop's blocks entered at its head, with
 *  each nested loop of one iteration or more walked once through (the verifier, which
 *  knows its counter, enters its body, then leaves after the last iteration). */
function onEveryPath(fn: IrFunction, blocks: readonly Block[], loop: LoopRegion, loops: readonly LoopRegion[]): (b: number) => boolean {
  const ids = new Set(blocks.map((b) => b.id));
  const nested = loops.filter((l) => l !== loop && l.trips > 0 && ids.has(l.head.id));
  const region = blocks.map((b): Block => {
    const heading = nested.find((l) => l.head.id === b.id), latching = nested.find((l) => l.latch.id === b.id);
    const targets = latching ? [latching.exit.id] : successors(b).filter((t) => ids.has(t) && t !== loop.head.id && (!heading || (heading.head.id <= t && t < heading.exit.id)));
    if (targets.length === 0) return { ...b, term: { op: "ret", value: { imm: 0n } } };
    return targets.length === 1 || targets[0] === targets[1] ? { ...b, term: { op: "jmp", target: targets[0]! } } : b;
  });
  const dom = dominators({ ...fn, blocks: region });
  return (b) => dom(b, loop.latch.id);
}

/** Registers and stack scalars whose value the verifier may know exactly: computed from
 *  constants, settings (read-only data, which it reads as constants) and, in a
 *  subprogram, the arguments (a caller may pass constants, and it walks the subprogram
 *  at each call). The greatest fixed point: a value a loop computes from itself stays
 *  exact. */
function exactValues(fn: IrFunction, readOnly: ReadonlySet<string>, subprogram: boolean): Set<VReg | Location> {
  const defs = new Map<VReg | Location, Inst[]>();
  const addressed = new Set<number>();
  const symbols = new Map<VReg, string>();
  for (const b of fn.blocks) for (const i of b.insts) {
    if (i.op === "addr") addressed.add(i.slot);
    if (i.op === "symref" && i.kind === "data") symbols.set(i.dst, i.symbol);
    if (i.op === "alu" && i.alu === "add" && isImm(i.b) && symbols.has(i.a)) symbols.set(i.dst, symbols.get(i.a)!);
    const d = i.op === "store" && "slot" in i.base ? locationOf(i.base.slot, i.off, i.size) : instDst(i);
    if (d !== undefined) defs.set(d, [...(defs.get(d) ?? []), i]);
  }
  const exact = new Set<VReg | Location>(defs.keys());
  for (const p of fn.params) if (subprogram) exact.add(p); else exact.delete(p);
  const known = (o: Operand): boolean => isImm(o) || exact.has(o);
  const of = (i: Inst): boolean => {
    switch (i.op) {
      case "const": return true;
      case "mov": case "ext": return exact.has(i.src);
      case "neg": return exact.has(i.a);
      case "alu": case "setcc": return exact.has(i.a) && known(i.b);
      case "store": return "slot" in i.base && !addressed.has(i.base.slot) && known(i.src);
      case "load":
        if ("slot" in i.base) return !addressed.has(i.base.slot) && exact.has(locationOf(i.base.slot, i.off, i.size));
        return readOnly.has(symbols.get(i.base.reg) ?? "") && defs.get(i.base.reg)?.length === 1;
      default: return false;
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [v, is] of defs) {
      if (exact.has(v) && !is.every(of)) { exact.delete(v); changed = true; }
    }
  }
  return exact;
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

function locationOf(slot: number, off: number, size: Size): Location {
  return `${slot}:${off}:${size}`;
}

/** Whether a location in `set` shares a byte with size bytes at off in slot. */
function overlapsAny(set: ReadonlySet<VReg | Location>, slot: number, off: number, size: number): boolean {
  for (const v of set) {
    if (typeof v === "number") continue;
    const [s, o, n] = v.split(":").map(Number) as [number, number, number];
    if (s === slot && o < off + size && off < o + n) return true;
  }
  return false;
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

/** The operands of the `and` a block's branch tests against 0 or 1: the backend fuses
 *  the two into a BPF_JSET of them (fold.ts), which narrows them. */
function jsetOperands(b: Block): VReg[] {
  const last = b.insts[b.insts.length - 1], t = b.term;
  if (last?.op !== "alu" || last.alu !== "and" || t.op !== "br" || t.a !== last.dst || (t.cmp !== "eq" && t.cmp !== "ne") || !isImm(t.b)) return [];
  return isImm(last.b) ? [last.a] : [last.a, last.b];
}

/** For each register, the registers and stack scalars a branch on it may narrow: those
 *  it may be a copy of, give or take a constant (the verifier ties such a copy to its
 *  source, and a branch that narrows one narrows both). */
function copySources(fn: IrFunction): Map<VReg, (VReg | Location)[]> {
  const sources = new Map<VReg, (VReg | Location)[]>();
  const ties = (i: Inst): (VReg | Location)[] => {
    if (i.op === "mov" || i.op === "ext") return [i.src];
    if (i.op === "alu" && (i.alu === "add" || i.alu === "sub") && isImm(i.b)) return [i.a];
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
