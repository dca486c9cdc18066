// A register that already holds a constant is not loaded with it again: `r0 = 0` after
// `if r0 == 0 goto` on its path, a `r1 = 1` that r1 still holds from before.
// In: an MFunction after register allocation. Out: the same, changed in place: each
// `movi`/`ld64` of a value the register holds on every path to it, and each copy between
// two registers holding the same constant, deleted.
//
// What each register holds at a block's start is the meet (the same constant on every
// incoming edge) of what its predecessors leave, found by iterating to a fixed point; a
// 64-bit `if r == C` adds r = C on the edge where it is true (`!=`: where it is false).
// A call clobbers R0..R5; anything else that writes a register makes it unknown.

import { JMP } from "../bpf/insn.js";
import { CALLER_SAVED, instDefs, successors, type MBlock, type MFunction, type MInst, type Reg } from "./mir.js";

type Known = Map<Reg, bigint>;

/** The constant the instruction writes, if it writes one to `dst` and nothing else. */
function constantOf(i: MInst, known: Known): { dst: Reg; value: bigint } | undefined {
  if (i.k === "movi" && !i.core) return { dst: i.dst, value: BigInt(i.imm) };
  if (i.k === "ld64") return { dst: i.dst, value: BigInt.asIntN(64, i.value) };
  if (i.k === "mov" && known.has(i.src)) return { dst: i.dst, value: known.get(i.src)! };
  return undefined;
}

function step(i: MInst, known: Known): void {
  const c = constantOf(i, known);
  if (c) { known.set(c.dst, c.value); return; }
  if (i.k === "args") {
    const moved = i.moves.map((m) => [m.dst, known.get(m.src)] as const);
    for (const [dst, v] of moved) if (v === undefined) known.delete(dst); else known.set(dst, v);
    for (const m of i.imms) known.set(m.dst, m.value);
    return;
  }
  for (const d of i.k === "call" ? CALLER_SAVED : instDefs(i)) known.delete(d);
}

/** What the block leaves on its edge to `to`. */
function edge(b: MBlock, out: Known, to: number): Known {
  const t = b.term;
  if (t.k !== "br" || t.w32 || !("imm" in t.b) || t.then === t.else) return out;
  const holds = (t.cmp === JMP.JEQ && to === t.then) || (t.cmp === JMP.JNE && to === t.else);
  return holds ? new Map(out).set(t.a, BigInt(t.b.imm)) : out;
}

function meet(a: Known | undefined, b: Known): Known {
  if (a === undefined) return new Map(b);
  return new Map([...a].filter(([r, v]) => b.get(r) === v));
}

export function reuseConstants(fn: MFunction): void {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const atStart = new Map<number, Known>([[fn.blocks[0]!.id, new Map()]]);
  const work = [fn.blocks[0]!.id];
  while (work.length > 0) {
    const b = byId.get(work.pop()!)!;
    const known = new Map(atStart.get(b.id)!);
    for (const i of b.insts) step(i, known);
    for (const s of successors(b.term)) {
      const before = atStart.get(s);
      const after = meet(before, edge(b, known, s));
      if (before !== undefined && before.size === after.size) continue;
      atStart.set(s, after);
      work.push(s);
    }
  }
  for (const b of fn.blocks) {
    const known = atStart.get(b.id);
    if (known === undefined) continue;
    b.insts = b.insts.filter((i) => {
      const c = constantOf(i, known);
      const redundant = c !== undefined && known.get(c.dst) === c.value;
      step(i, known);
      return !redundant;
    });
  }
}
