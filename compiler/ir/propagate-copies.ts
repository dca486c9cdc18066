// Copies read through: `d = s` (a local bound to a value: `const t = tid()`), where d and
// s are each written once and s's write comes before the copy on every path, has every
// reader of d read s instead, so that passes matching a value's producer against its
// readers (an extension before narrow stores, a zero extension fused into 32-bit ALU, a
// compare made 32-bit) see the readers through the copy.
// Correct because wherever the copy dominates a reader, the last write of d on the way
// there was the copy, and s, written once and before the copy, has not changed since: a
// path writing s again after the copy would reach the reader without passing the copy.
// In: an IrFunction whose blocks are all reachable (not modified). Out: a copy in which
// such copies' readers read the source, and the copies are gone. A copy into a register
// with a preferred physical register is kept.

import { dominators } from "./dominators.js";
import { isImm, type Block, type Inst, type IrFunction, type Operand, type Terminator, type VReg } from "./ir.js";
import { copyInst } from "./copy.js";
import { instDst, instUses, termUses } from "./uses.js";

interface At { block: number; index: number }

function renameOperand(o: Operand, f: (r: VReg) => VReg): Operand {
  return isImm(o) ? o : f(o);
}

/** A copy of the instruction with every register it reads replaced by f(r). */
function renameUses(i: Inst, f: (r: VReg) => VReg): Inst {
  const c = copyInst(i);
  switch (c.op) {
    case "mov": case "ext": case "forget": c.src = f(c.src); break;
    case "alu": case "setcc": c.a = f(c.a); c.b = renameOperand(c.b, f); break;
    case "neg": c.a = f(c.a); break;
    case "load": if ("reg" in c.base) c.base = { reg: f(c.base.reg) }; break;
    case "store": if ("reg" in c.base) c.base = { reg: f(c.base.reg) }; c.src = renameOperand(c.src, f); break;
    case "call": c.args = c.args.map((a) => renameOperand(a, f)); break;
    case "atomic_add": c.base = { reg: f(c.base.reg) }; c.src = f(c.src); break;
    case "const": case "addr": case "symref": break;
  }
  return c;
}

function renameTermUses(t: Terminator, f: (r: VReg) => VReg): Terminator {
  if (t.op === "br") return { ...t, a: f(t.a), b: renameOperand(t.b, f) };
  if (t.op === "ret") return { ...t, value: renameOperand(t.value, f) };
  return t;
}

export function propagateCopies(fn: IrFunction): IrFunction {
  const defs = new Map<VReg, At[]>();
  const uses = new Map<VReg, At[]>();
  const push = (m: Map<VReg, At[]>, r: VReg, at: At): void => { const l = m.get(r); if (l) l.push(at); else m.set(r, [at]); };
  for (const b of fn.blocks) {
    b.insts.forEach((i, index) => {
      for (const u of instUses(i)) push(uses, u, { block: b.id, index });
      const d = instDst(i);
      if (d !== undefined) push(defs, d, { block: b.id, index });
    });
    for (const u of termUses(b.term)) push(uses, u, { block: b.id, index: b.insts.length });
  }
  const dom = dominators(fn);
  /** `a` comes before `b` on every path to b. */
  const before = (a: At, b: At): boolean => (a.block === b.block ? a.index < b.index : dom(a.block, b.block));
  const params = new Set(fn.params);
  const writtenOnceBefore = (s: VReg, at: At): boolean => {
    const ds = defs.get(s) ?? [];
    if (params.has(s)) return ds.length === 0;
    return ds.length === 1 && before(ds[0]!, at);
  };

  const to = new Map<VReg, VReg>();
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  for (const [d, ds] of defs) {
    if (ds.length !== 1 || params.has(d) || fn.hints.has(d)) continue;
    const at = ds[0]!;
    const i = byId.get(at.block)!.insts[at.index]!;
    if (i.op !== "mov" || i.src === d || !writtenOnceBefore(i.src, at)) continue;
    if (!(uses.get(d) ?? []).every((u) => before(at, u))) continue;
    to.set(d, i.src);
  }
  if (to.size === 0) return fn;
  const find = (r: VReg): VReg => {
    let s = r;
    while (to.has(s)) s = to.get(s)!;
    return s;
  };
  const blocks = fn.blocks.map((b): Block => ({
    id: b.id,
    insts: b.insts
      .filter((i) => !(i.op === "mov" && to.has(i.dst)))
      .map((i) => (instUses(i).some((u) => to.has(u)) ? renameUses(i, find) : i)),
    term: termUses(b.term).some((u) => to.has(u)) ? renameTermUses(b.term, find) : b.term,
  }));
  return { ...fn, blocks };
}
