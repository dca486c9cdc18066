// The verifier's rule for ring-buffer reservations, checked where the code breaks it: a
// record rb.reserve() gave is submitted or discarded once on every path on which it is
// not undefined, is not used after that, and is not reserved again while still held.
// In: a lowered IrFunction and its reservations (the registers reserve() results are in;
// a reservation is held in a const, so its register is its only name). Out: nothing, or
// a BPF4018/BPF4019 diagnostic at the return, call or use that breaks the rule.

import { HELPER } from "../helpers.js";
import { isImm, type Block, type Inst, type IrFunction, type Loc, type VReg } from "../ir/ir.js";
import { instUses } from "../ir/uses.js";
import type { FrontendContext } from "./context.js";
import type { Reservation } from "./values.js";

/** What a reservation may be on entry to a block, over all paths there. */
interface Held {
  /** undefined (reserve() failed, or the null test's undefined side) */
  none: boolean;
  /** a record still to submit or discard */
  live: boolean;
  /** handed back: how and where, on the first path seen */
  released?: { how: "submitted" | "discarded"; line: number };
}

type State = Map<VReg, Held>;

/** A breach of the rule, reported once the walk is done (the first in the file). */
interface Breach { kind: "recordStillReserved" | "recordReleased"; loc: Loc; args: string[] }

export function checkReservations(ctx: FrontendContext, fn: IrFunction, reservations: ReadonlyMap<VReg, Reservation>, what: "program" | "function"): void {
  if (reservations.size === 0) return;
  const entry = new Map<number, State>([[0, new Map()]]);
  const work = [0];
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const fallback = fn.loc ?? { line: 1, col: 1 };
  const breaches: Breach[] = [];
  while (work.length > 0) {
    const block = byId.get(work.pop()!)!;
    const state = copy(entry.get(block.id)!);
    for (const inst of block.insts) step(ctx, state, inst, reservations, inst.loc ?? fallback, breaches);
    for (const [target, out] of successors(block, state, reservations, what, fallback, breaches)) {
      const before = entry.get(target);
      const merged = before ? merge(before, out) : out;
      if (!before || !same(before, merged)) { entry.set(target, merged); work.push(target); }
    }
  }
  const first = breaches.sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col)[0];
  if (first) ctx.failAt(first.kind, first.loc, ...first.args);
}

function step(ctx: FrontendContext, state: State, inst: Inst, reservations: ReadonlyMap<VReg, Reservation>, loc: Loc, breaches: Breach[]): void {
  const released = (r: VReg, use: string) => {
    const h = state.get(r), res = reservations.get(r)!;
    // A use is reported at its statement, the start of its line (the instruction's own
    // column may be that of an operand).
    const at = use === "use" ? { line: loc.line, col: statementColumn(ctx, loc.line) } : loc;
    if (h?.released) breaches.push({ kind: "recordReleased", loc: at, args: [res.ring, String(res.line), h.released.how, String(h.released.line), use] });
  };
  if (inst.op === "call" && "helper" in inst && (inst.helper === HELPER.ringbuf_submit || inst.helper === HELPER.ringbuf_discard)) {
    const r = inst.args[0] as VReg;
    released(r, inst.helper === HELPER.ringbuf_submit ? "submit" : "discard");
    state.set(r, { none: state.get(r)?.none ?? false, live: false, released: { how: inst.helper === HELPER.ringbuf_submit ? "submitted" : "discarded", line: loc.line } });
    return;
  }
  for (const r of instUses(inst)) if (reservations.has(r)) released(r, "use");
  if (inst.op === "call" && inst.dst !== undefined && reservations.has(inst.dst)) {
    const res = reservations.get(inst.dst)!;
    if (state.get(inst.dst)?.live) breaches.push({ kind: "recordStillReserved", loc, args: [res.ring, String(res.line), `when line ${loc.line} reserves the next one`] });
    state.set(inst.dst, { none: true, live: true });
  }
}

/** The state along each edge out of a block: a null test of a reservation splits it. */
function successors(block: Block, state: State, reservations: ReadonlyMap<VReg, Reservation>, what: string, fallback: Loc, breaches: Breach[]): [number, State][] {
  const t = block.term;
  if (t.op === "jmp") return [[t.target, state]];
  if (t.op === "ret") {
    for (const [r, h] of state) {
      const res = reservations.get(r)!;
      if (h.live) breaches.push({ kind: "recordStillReserved", loc: t.loc ?? fallback, args: [res.ring, String(res.line), `where the ${what} returns`] });
    }
    return [];
  }
  const held = state.get(t.a);
  if (!held || !isImm(t.b) || t.b.imm !== 0n || (t.cmp !== "eq" && t.cmp !== "ne")) {
    return [[t.then, state], [t.else, copy(state)]];
  }
  const isNone = copy(state), isRecord = copy(state);
  isNone.set(t.a, { ...held, live: false });
  isRecord.set(t.a, { ...held, none: false });
  return t.cmp === "eq" ? [[t.then, isNone], [t.else, isRecord]] : [[t.then, isRecord], [t.else, isNone]];
}

function statementColumn(ctx: FrontendContext, line: number): number {
  return (ctx.lines[line - 1] ?? "").search(/\S|$/) + 1;
}

function copy(s: State): State {
  return new Map([...s].map(([r, h]) => [r, { ...h }]));
}

function merge(a: State, b: State): State {
  const out = copy(a);
  for (const [r, h] of b) {
    const o = out.get(r);
    out.set(r, o ? { none: o.none || h.none, live: o.live || h.live, released: o.released ?? h.released } : { ...h });
  }
  return out;
}

function same(a: State, b: State): boolean {
  if (a.size !== b.size) return false;
  for (const [r, h] of a) {
    const o = b.get(r);
    if (!o || o.none !== h.none || o.live !== h.live || !o.released !== !h.released) return false;
  }
  return true;
}
