// Probe reads of one object merged. Reads of parts of one object of the probed memory
// (fields of the struct a Ptr points to, bytes of an array in it: calls marked `probed`,
// probed.ts) become one read of the span they cover, done by the first of them, where
// every other one comes after it on all paths with no write to that memory in between
// (for kernel memory: no helper call but probe reads, no store through a pointer; the
// program never writes a user process's memory):
// `p.c[0] === 47 && p.c[1] === 116 && ...` is one helper call, and so are `n.value`
// and `n.next`. The reads must be of the same address, which is compared by value: a
// register plus a constant, or a pointer loaded from the same bytes of one merged read,
// so `n.next.next.v` after `n.next.v` reads `n.next` once and its node once. The span
// (within a 64-byte window of the object; it starts at an 8-byte boundary of it, so
// each field stays aligned) is read into a stack slot of its own, and the loads of each
// read's data load from there. A fault of the merged read zeroes the whole span.
// Only reads into a slot whose data is loaded in the block that read it, right after
// the read (the frontend's scratch slot), are candidates.
// In: an IrFunction being cleaned up (cleanup.ts, on its own copy). Out: the same
// function, changed in place: merged reads' calls gone (their address arithmetic is left
// for removeDeadCode), the first read of each group reading the span.

import { HELPER, PROBE_READ_HELPERS } from "../helpers.js";
import { forwardFlow } from "./forward-flow.js";
import { isImm, type Block, type Inst, type IrFunction, type VReg } from "./ir.js";
import { instDst, instUses, termUses } from "./uses.js";

/** Merged reads stay within a window of this many bytes of their object. */
const WINDOW = 64;

type Call = Extract<Inst, { op: "call" }>;
type Load = Extract<Inst, { op: "load" }>;

/** A read that may be merged: into `slot` at `dstOff`, `size` bytes from `src`. */
interface Read { call: Call; slot: number; dstOff: number; size: number; src: VReg; start: number; objSize: number }

/** A value as a name plus a constant: "r<reg>" is a register's value (until it is
 *  written again), "m<read>:<off>:<size>" the bytes a group's read got at that offset. */
interface Addr { base: string; off: number }

/** A read whose group later reads of the same object window can join. */
interface Fact { leader: number; helper: number; base: string; objStart: number; objSize: number; window: number }

interface State { vals: Map<VReg, Addr>; facts: Fact[] }

/** What the replay of a block found: each read's group and place, each load's bytes. */
interface Found {
  group: Map<number, number>;
  /** Where each read reads: its address's base name and offset. */
  base: Map<number, string>;
  at: Map<number, number>;
  loads: Map<Load, { leader: number; off: number }>;
}

export function mergeProbeReads(fn: IrFunction): void {
  const reads = candidates(fn);
  if (reads.size === 0) return;
  const readIndex = new Map([...reads.values()].map((r, n) => [r.call, n]));
  const list = [...reads.values()];
  const relevant = addressRegisters(fn, list);

  const transfer = (state: State, block: Block, found?: Found): State => {
    const vals = new Map(state.vals);
    let facts = [...state.facts];
    // The read whose data each slot holds in this block, and the offset of its byte 0.
    const slotData = new Map<number, { leader: number; rootAt0: number }>();
    const valueOf = (r: VReg): Addr => vals.get(r) ?? { base: `r${r}`, off: 0 };
    const forget = (base: (b: string) => boolean): void => {
      for (const [r, a] of vals) if (base(a.base)) vals.delete(r);
      facts = facts.filter((f) => !base(f.base));
    };
    const written = (d: VReg): void => {
      vals.delete(d);
      forget((b) => b === `r${d}`);
    };
    for (const i of block.insts) {
      const n = readIndex.get(i as Call);
      if (n !== undefined) {
        const r = list[n]!;
        const a = valueOf(r.src);
        const objStart = a.off - r.start;
        const window = Math.floor(r.start / WINDOW);
        const key = (f: Fact): boolean => f.helper === helperOf(r.call) && f.base === a.base && f.objStart === objStart && f.objSize === r.objSize && f.window === window;
        let leader = facts.find(key)?.leader;
        if (leader === undefined) {
          leader = n;
          // Its earlier run's data is replaced: values loaded from it are other values now
          // (so is its own address, if it was one: then later reads cannot join it).
          const mine = (b: string): boolean => b.startsWith(`m${n}:`);
          forget(mine);
          facts = facts.filter((f) => !key(f));
          if (!mine(a.base)) facts.push({ leader: n, helper: helperOf(r.call), base: a.base, objStart, objSize: r.objSize, window });
        }
        slotData.set(r.slot, { leader, rootAt0: a.off - r.dstOff });
        found?.group.set(n, leader);
        found?.base.set(n, a.base);
        found?.at.set(n, a.off);
        continue;
      }
      const d = instDst(i);
      // A helper call or a store through a pointer may write kernel memory; nothing the
      // program does writes the probed process's memory.
      const writes = (i.op === "call" && !("helper" in i && PROBE_READ_HELPERS.has(i.helper))) || i.op === "atomic_add" || (i.op === "store" && "reg" in i.base);
      if (writes) facts = facts.filter((f) => f.helper === HELPER.probe_read_user);
      if (d === undefined) continue;
      let next: Addr | undefined;
      if (i.op === "mov") next = valueOf(i.src);
      else if (i.op === "alu" && i.alu === "add" && isImm(i.b) && !i.core && !i.w32) {
        const a = valueOf(i.a);
        next = { base: a.base, off: a.off + Number(i.b.imm) };
      } else if (i.op === "load" && "slot" in i.base && slotData.has(i.base.slot)) {
        const s = slotData.get(i.base.slot)!;
        next = { base: `m${s.leader}:${s.rootAt0 + i.off}:${i.size}`, off: 0 };
        found?.loads.set(i, { leader: s.leader, off: s.rootAt0 + i.off });
      }
      written(d);
      if (next && next.base !== `r${d}` && relevant.has(d)) vals.set(d, next);
    }
    return { vals, facts };
  };

  // The merging decisions feed back into the states, so the walk is bounded: past it,
  // nothing is merged.
  const entry = forwardFlow<State>(fn, { vals: new Map(), facts: [] }, transfer, meet, unchanged, 50 * fn.blocks.length);
  if (!entry) return;

  const found: Found = { group: new Map(), base: new Map(), at: new Map(), loads: new Map() };
  fn.blocks.forEach((b, n) => { if (entry[n]) transfer(entry[n]!, b, found); });
  rewrite(fn, list, found);
}

/** The registers a read's address may be computed from (through moves and constant
 *  adds): the only ones whose values the data flow follows. */
function addressRegisters(fn: IrFunction, reads: Read[]): Set<VReg> {
  const from = new Map<VReg, VReg[]>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const src = i.op === "mov" ? i.src : i.op === "alu" && i.alu === "add" && isImm(i.b) ? i.a : undefined;
      const d = instDst(i);
      if (src !== undefined && d !== undefined) from.set(d, [...(from.get(d) ?? []), src]);
    }
  }
  const out = new Set<VReg>();
  const work = reads.map((r) => r.src);
  while (work.length > 0) {
    const r = work.pop()!;
    if (out.has(r)) continue;
    out.add(r);
    work.push(...(from.get(r) ?? []));
  }
  return out;
}

/** Reads marked `probed` whose destination is a slot every load of which, in the block
 *  of the read that last wrote it and at its destination, reads that read's data. */
function candidates(fn: IrFunction): Map<Call, Read> {
  const defs = new Map<VReg, number>();
  const uses = new Map<VReg, number>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) defs.set(d, (defs.get(d) ?? 0) + 1);
      for (const u of instUses(i)) uses.set(u, (uses.get(u) ?? 0) + 1);
    }
    for (const u of termUses(b.term)) uses.set(u, (uses.get(u) ?? 0) + 1);
  }
  const readers = new Map<VReg, Call>();
  for (const b of fn.blocks) for (const i of b.insts) if (i.op === "call" && typeof i.args[0] === "number") readers.set(i.args[0], i);
  const out = new Map<Call, Read>();
  const bad = new Set<number>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "store" && "slot" in i.base) bad.add(i.base.slot);
      if (i.op !== "addr") continue;
      // A candidate's destination is its own `addr`, defined once and read by it only.
      const reader = readers.get(i.dst);
      const own = defs.get(i.dst) === 1 && uses.get(i.dst) === 1;
      const r = own && reader ? readOf(reader, i) : undefined;
      if (r) out.set(r.call, r);
      else bad.add(i.slot);
    }
  }
  for (const b of fn.blocks) {
    const last = new Map<number, Read>();
    for (const i of b.insts) {
      const r = i.op === "call" ? out.get(i) : undefined;
      if (r) last.set(r.slot, r);
      if (i.op !== "load" || !("slot" in i.base)) continue;
      const w = last.get(i.base.slot);
      if (!w || i.off !== w.dstOff || i.size > w.size) bad.add(i.base.slot);
    }
  }
  for (const [c, r] of out) if (bad.has(r.slot)) out.delete(c);
  return out;
}

/** A probe read marked `probed` of 1, 2, 4 or 8 bytes at an offset of its object that
 *  is a multiple of its size, with no result read: a candidate. */
function readOf(c: Call, dst: Extract<Inst, { op: "addr" }>): Read | undefined {
  const [to, size, src] = c.args;
  if (!c.probed || c.dst !== undefined || !("helper" in c) || to !== dst.dst || size === undefined || !isImm(size) || src === undefined || isImm(src)) return undefined;
  const n = Number(size.imm);
  const { start, size: objSize } = c.probed;
  if (![1, 2, 4, 8].includes(n) || start % n !== 0 || Math.floor(start / WINDOW) !== Math.floor((start + n - 1) / WINDOW)) return undefined;
  return { call: c, slot: dst.slot, dstOff: dst.off, size: n, src, start, objSize };
}

function helperOf(c: Call): number {
  return "helper" in c ? c.helper : -1;
}

/** Each group of two or more reads: its first reads the span into a new slot; the others
 *  go; their loads load from the new slot. */
function rewrite(fn: IrFunction, list: Read[], found: Found): void {
  const members = new Map<number, number[]>();
  for (const [n, leader] of found.group) members.set(leader, [...(members.get(leader) ?? []), n]);
  const span = new Map<number, { slot: number; from: number }>();
  const gone = new Set<Inst>();
  const before = new Map<Inst, Inst[]>();
  for (const [leader, group] of members) {
    if (group.length < 2) continue;
    const r = list[leader]!;
    const objStart = found.at.get(leader)! - r.start;
    const lo = Math.min(...group.map((n) => found.at.get(n)!));
    const hi = Math.max(...group.map((n) => found.at.get(n)! + list[n]!.size));
    // From an 8-byte boundary of the object: each field keeps its alignment in the slot.
    const from = objStart + Math.floor((lo - objStart) / 8) * 8;
    const slot = fn.slots.length;
    fn.slots.push({ id: slot, size: hi - from, align: 8, name: "probe reads" });
    span.set(leader, { slot, from });
    const dst = fn.nextReg++;
    const pre: Inst[] = [{ op: "addr", dst, slot, off: 0 }];
    // The address: from the register the read's address was computed from, if it still
    // holds that value there, else from the read's own address.
    const base = found.base.get(leader)!;
    const [reg, off] = base.startsWith("r") ? [Number(base.slice(1)), from] : [r.src, from - found.at.get(leader)!];
    let src = reg;
    if (off !== 0) {
      src = fn.nextReg++;
      pre.push({ op: "alu", alu: "add", dst: src, a: reg, b: { imm: BigInt(off) } });
    }
    before.set(r.call, pre);
    r.call.args = [dst, { imm: BigInt(hi - from) }, src];
    delete r.call.probed;
    for (const n of group) if (n !== leader) gone.add(list[n]!.call);
  }
  if (span.size === 0) return;
  for (const b of fn.blocks) {
    b.insts = b.insts.flatMap((i): Inst[] => {
      if (gone.has(i)) return [];
      const l = i.op === "load" ? found.loads.get(i) : undefined;
      const s = l && span.get(l.leader);
      if (i.op === "load" && l && s) return [{ ...i, base: { slot: s.slot }, off: l.off - s.from }];
      return [...(before.get(i) ?? []), i];
    });
  }
}

function meet(a: State, b: State): State {
  const vals = new Map<VReg, Addr>();
  for (const [r, x] of a.vals) {
    const y = b.vals.get(r);
    if (y && y.base === x.base && y.off === x.off) vals.set(r, x);
  }
  const facts = a.facts.filter((f) => b.facts.some((g) => sameFact(f, g)));
  return { vals, facts };
}

function sameFact(f: Fact, g: Fact): boolean {
  return f.leader === g.leader && f.helper === g.helper && f.base === g.base && f.objStart === g.objStart && f.objSize === g.objSize && f.window === g.window;
}

/** Whether a state equals its meet with another (which is never larger). */
function unchanged(a: State, met: State): boolean {
  return a.vals.size === met.vals.size && a.facts.length === met.facts.length;
}
