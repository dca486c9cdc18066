// Which virtual registers an IR instruction or terminator reads and writes, how often a
// function writes each, and the dead-code sweep built on that; shared by the IR clean-up and the backend's folding.
// In: IR instructions and blocks. Out: register lists; blocks with dead pure
// instructions removed (in place).

import { isImm, type Block, type Inst, type IrFunction, type Terminator, type VReg } from "./ir.js";

/** The register an instruction writes, if any. */
export function instDst(i: Inst): VReg | undefined {
  return "dst" in i ? i.dst : undefined;
}

/** How many times each register is written: a parameter once, on entry, then once per
 *  instruction that writes it. A register written once holds that one value wherever
 *  the write reaches. */
export function writeCounts(fn: IrFunction): Map<VReg, number> {
  const n = new Map<VReg, number>(fn.params.map((r) => [r, 1]));
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      const d = instDst(i);
      if (d !== undefined) n.set(d, (n.get(d) ?? 0) + 1);
    }
  }
  return n;
}

/** The registers an instruction reads (an array the caller must not change: the one for
 *  none is shared). */
export function instUses(i: Inst): readonly VReg[] {
  switch (i.op) {
    case "const": case "addr": case "symref": return NONE;
    case "mov": case "ext": case "forget": return [i.src];
    case "alu": case "setcc": return isImm(i.b) ? [i.a] : [i.a, i.b];
    case "neg": return [i.a];
    case "load": return "reg" in i.base ? [i.base.reg] : NONE;
    case "store": {
      const src = isImm(i.src) ? undefined : i.src;
      if (!("reg" in i.base)) return src === undefined ? NONE : [src];
      return src === undefined ? [i.base.reg] : [i.base.reg, src];
    }
    case "call": {
      let regs: VReg[] | undefined;
      for (const a of i.args) if (!isImm(a)) (regs ??= []).push(a);
      return regs ?? NONE;
    }
    case "atomic_add": return [i.base.reg, i.src];
  }
}

const NONE: readonly VReg[] = [];

/** f of each register of the list once, in order: an instruction that reads a register
 *  twice is one reader of it. */
export function forEachDistinct(regs: readonly VReg[], f: (r: VReg) => void): void {
  regs.forEach((r, k) => { if (regs.indexOf(r) === k) f(r); });
}

/** The registers a terminator reads. */
export function termUses(t: Terminator): VReg[] {
  if (t.op === "br") return isImm(t.b) ? [t.a] : [t.a, t.b];
  if (t.op === "ret") return isImm(t.value) ? [] : [t.value];
  return [];
}

/** Instructions with no effect but their result. */
export const PURE_OPS: ReadonlySet<Inst["op"]> = new Set<Inst["op"]>(["const", "mov", "alu", "neg", "ext", "setcc", "load", "addr", "symref"]);

/** Removes pure instructions whose result nothing reads, until none is left: by counting
 *  each register's readers, so that a long chain of dead computations goes in one pass. */
export function removeDeadCode(blocks: Block[]): void {
  const reads = new Map<VReg, number>();
  const pureDefs = new Map<VReg, Inst[]>();
  const read = (r: VReg): void => { reads.set(r, (reads.get(r) ?? 0) + 1); };
  for (const b of blocks) {
    for (const i of b.insts) {
      for (const u of instUses(i)) read(u);
      const d = instDst(i);
      if (d === undefined || !PURE_OPS.has(i.op)) continue;
      const l = pureDefs.get(d);
      if (l) l.push(i);
      else pureDefs.set(d, [i]);
    }
    for (const u of termUses(b.term)) read(u);
  }
  const work = [...pureDefs.keys()].filter((r) => !reads.has(r));
  const dead = new Set<Inst>();
  while (work.length > 0) {
    for (const i of pureDefs.get(work.pop()!)!) {
      if (dead.has(i)) continue;
      dead.add(i);
      for (const u of instUses(i)) {
        const n = reads.get(u)! - 1;
        reads.set(u, n);
        if (n === 0 && pureDefs.has(u)) work.push(u);
      }
    }
  }
  if (dead.size === 0) return;
  for (const b of blocks) b.insts = b.insts.filter((i) => !dead.has(i));
}
