// Constant stores into a stack slot merged into fewer, wider ones: a struct's zeroed padding
// bytes and its constant fields, written one store each by the frontend, become the aligned
// 2-, 4- or 8-byte stores that hold the same bytes.
// In: a folded IrFunction (constants are store immediates), left unchanged. Out: a new one (the
// instructions not rewritten are the input's own, shared) with, in each block,
// each run of stores into one slot that nothing reads in between (a window: no load of the
// slot, no call or memory access through a register that may point into it) rewritten
// when that takes fewer stores.
//
// In a window, the bytes the constant stores leave behind must keep their values; bytes a
// register store writes after the first constant store are free (they are overwritten
// anyway); every other byte must not be touched. The merged stores go where the first
// constant store was, so a register store after it must not precede a constant store it
// overlaps (else the window is left as it is). Covering: the lowest byte not yet
// covered gets the widest aligned store (at most the slot's alignment, inside the slot)
// whose bytes are all needed or free, with an immediate that fits (s32 for 8 bytes).

import { isImm, type Inst, type IrFunction, type Loc, type Slot } from "../ir/ir.js";
import { instUses } from "../ir/uses.js";
import { fitsS32 } from "./imm.js";
import { slotPointers, type SlotPointers } from "./slot-pointers.js";

type Store = Extract<Inst, { op: "store" }>;

/** A window's stores into one slot: their positions in the block, constant or not. */
interface Window { consts: { at: number; st: Store; value: bigint }[]; others: { at: number; st: Store }[] }

export function mergeStores(fn: IrFunction): IrFunction {
  const ptrs = slotPointers(fn);
  const slots = new Map(fn.slots.map((s) => [s.id, s]));
  return { ...fn, blocks: fn.blocks.map((b) => ({ ...b, insts: mergeBlock(b.insts, slots, ptrs) })) };
}

/** The slots an instruction may read or write other than by a store into a slot by name. */
function touched(i: Inst, ptrs: SlotPointers): Iterable<number> {
  if (i.op === "load" && "slot" in i.base) return [i.base.slot];
  if (i.op === "mov" || i.op === "alu" || i.op === "addr") return [];
  const out = new Set<number>();
  for (const r of instUses(i)) for (const s of ptrs.get(r) ?? []) out.add(s);
  return out;
}

function mergeBlock(insts: Inst[], slots: ReadonlyMap<number, Slot>, ptrs: SlotPointers): Inst[] {
  const open = new Map<number, Window>();
  /** Per position: the stores to put there instead of the instruction (undefined: keep it). */
  const replace = new Map<number, Inst[]>();
  const close = (slot: number): void => {
    const w = open.get(slot);
    open.delete(slot);
    if (w && w.consts.length > 1) rewrite(w, slots.get(slot)!, replace);
  };
  insts.forEach((i, at) => {
    for (const s of touched(i, ptrs)) close(s);
    if (i.op !== "store" || !("slot" in i.base)) return;
    const w = open.get(i.base.slot) ?? { consts: [], others: [] };
    open.set(i.base.slot, w);
    if (isImm(i.src)) w.consts.push({ at, st: i, value: BigInt.asUintN(i.size * 8, i.src.imm) });
    else w.others.push({ at, st: i });
  });
  for (const s of [...open.keys()]) close(s);
  return insts.flatMap((i, at) => replace.get(at) ?? [i]);
}

function rewrite(w: Window, slot: Slot, replace: Map<number, Inst[]>): void {
  const first = w.consts[0]!.at;
  const overlaps = (a: Store, b: Store): boolean => a.off < b.off + b.size && b.off < a.off + a.size;
  if (w.others.some((o) => o.at > first && w.consts.some((c) => c.at > o.at && overlaps(o.st, c.st)))) return;
  const needed = new Map<number, number>();
  for (const c of w.consts) for (let k = 0; k < c.st.size; k++) needed.set(c.st.off + k, Number((c.value >> BigInt(8 * k)) & 0xffn));
  const free = new Set<number>();
  for (const o of w.others) if (o.at > first) for (let k = 0; k < o.st.size; k++) free.add(o.st.off + k);
  const stores = cover(needed, free, slot, w.consts[0]!.st.loc);
  if (stores === undefined || stores.length >= w.consts.length) return;
  replace.set(first, stores);
  for (const c of w.consts.slice(1)) replace.set(c.at, []);
}

/** Aligned stores writing every needed byte its value, and otherwise only free bytes. */
function cover(needed: Map<number, number>, free: ReadonlySet<number>, slot: Slot, loc: Loc | undefined): Store[] | undefined {
  const out: Store[] = [];
  const covered = new Set<number>();
  for (const b of [...needed.keys()].sort((x, y) => x - y)) {
    if (covered.has(b)) continue;
    let chosen: Store | undefined;
    for (const size of [8, 4, 2, 1] as const) {
      const off = b - (((b % size) + size) % size);
      if (size > Math.max(1, slot.align) || off < 0 || off + size > slot.size) continue;
      let value = 0n;
      let ok = true;
      for (let k = size - 1; k >= 0 && ok; k--) {
        const v = needed.get(off + k);
        if (v === undefined && !free.has(off + k)) ok = false;
        value = (value << 8n) | BigInt(v ?? 0);
      }
      const imm = BigInt.asIntN(size * 8, value);
      if (ok && (size < 8 || fitsS32(imm))) {
        chosen = { op: "store", base: { slot: slot.id }, off, size, src: { imm }, ...(loc ? { loc } : {}) };
        break;
      }
    }
    if (chosen === undefined) return undefined;
    out.push(chosen);
    for (let k = 0; k < chosen.size; k++) covered.add(chosen.off + k);
  }
  return out;
}
