// IR clean-up run between the frontend and the backend.
// In: an IrFunction as lowering left it (not modified). Out: a cleaned-up copy:
// blocks no path reaches are removed (the verifier rejects unreachable instructions),
// jumps to empty forwarding blocks are threaded, block ids are renumbered densely
// in layout order, side-effect-free instructions whose result is never read
// (a fetched parameter the body ignores, say) are deleted, and with them branches left
// with nothing to choose between, as are stores into stack slots
// nothing reads, and stack slots holding the same value share one (share-slots.ts).
// A branch arm that only sets constants is folded into its branch (hoist-constant-arms.ts),
// and an edge that leaves a constant in the register the next branch tests goes straight
// to the branch's decided target (thread-constant-branches.ts); a branch that only picks
// 0 or 1 becomes the compare's value (compares-as-values.ts).
// A run-invariant helper called again with no other call in between reuses the first
// call's result (reuse-helper-results.ts), and a setting read again with no call since
// its last read reuses that read (reuse-setting-loads.ts). Probe reads of parts of one
// object become one read of their span (merge-probe-reads.ts). A load of what the block just stored
// to a stack slot nothing takes the address of reads the stored value (forward-stores.ts),
// and operations on constants are computed (compute-constants.ts); an address read as a
// base (a setting's) computed once serves every such use it dominates (share-addresses.ts).
// A copy's readers read its source where that is the same value (propagate-copies.ts),
// before the extension and ALU steps that
// match a value's readers, and an extension of an extension extends the first one's source;
// an operation whose result is only read as its low half is one of the 32-bit ALU.

import { comparesAsValues } from "./compares-as-values.js";
import { copyFunction } from "./copy.js";
import { computeConstants } from "./compute-constants.js";
import { forwardStoresToLoads } from "./forward-stores.js";
import { successors } from "./dominators.js";
import { hoistConstantArms } from "./hoist-constant-arms.js";
import { mergeProbeReads } from "./merge-probe-reads.js";
import { propagateCopies } from "./propagate-copies.js";
import { reuseHelperResults } from "./reuse-helper-results.js";
import { reuseSettingLoads } from "./reuse-setting-loads.js";
import { threadConstantBranches } from "./thread-constant-branches.js";
import { dropUnusedSlots, shareSlots } from "./share-slots.js";
import { shareAddresses } from "./share-addresses.js";
import { isImm, type Inst, type IrFunction, type VReg } from "./ir.js";
import { forEachDistinct, instUses, removeDeadCode, termUses } from "./uses.js";

export function cleanupFunction(input: IrFunction): IrFunction {
  const fn = copyFunction(input);
  threadJumps(fn);
  mergeReturns(fn);
  hoistConstantArms(fn);
  removeUnreachable(fn);
  fn.blocks = threadConstantBranches(fn).blocks;
  removeUnreachable(fn);
  fn.blocks = comparesAsValues(fn).blocks;
  removeUnreachable(fn);
  reuseHelperResults(fn);
  reuseSettingLoads(fn);
  mergeProbeReads(fn);
  forwardStoresToLoads(fn);
  computeConstants(fn);
  shareAddresses(fn);
  fn.blocks = propagateCopies(fn).blocks;
  extendSourcesOfExtensions(fn);
  skipExtensionsBeforeNarrowStores(fn);
  fuseZeroExtensionsIntoAlu32(fn);
  narrowAluReadAsLowHalves(fn);
  removeStoresNobodyReads(fn);
  removeDeadCode(fn.blocks);
  // Dead code gone can leave a branch whose arms meet with nothing done on either (an
  // unused `c ? a : b` local): the branch goes, then what computed its condition, until
  // nothing changes. The verifier would otherwise walk both arms, and a condition it can
  // decide from a value's range makes it track that value exactly through every loop
  // around it, which keeps it from pruning the loop's states.
  while (threadJumps(fn)) removeDeadCode(fn.blocks);
  removeUnreachable(fn);
  return dropUnusedSlots(shareSlots(fn));
}

/** Stores into a stack slot that nothing loads and whose address is never taken are
 *  dead (an unused struct local): removed, so that they cost nothing and do not keep the
 *  verifier from pruning a loop's states on stack bytes that differ per iteration. */
function removeStoresNobodyReads(fn: IrFunction): void {
  const read = new Set<number>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "addr") read.add(i.slot);
      else if (i.op === "load" && "slot" in i.base) read.add(i.base.slot);
    }
  }
  for (const b of fn.blocks) b.insts = b.insts.filter((i) => !(i.op === "store" && "slot" in i.base && !read.has(i.base.slot)));
}

/** `s = ext t; d = ext s` with d's bits no more than s's extends t itself (`const t: i32 =
 *  tid()`: sext32 of a zext32), so that s, read by d only, goes; and d, when only narrow
 *  stores read it, can go too. Kept to an s written earlier in d's block, with no write of
 *  t between. */
function extendSourcesOfExtensions(fn: IrFunction): void {
  for (const b of fn.blocks) {
    b.insts = b.insts.map((d, at) => {
      if (d.op !== "ext") return d;
      for (let k = at - 1; k >= 0; k--) {
        const s = b.insts[k]!;
        if (s.op === "ext" && s.dst === d.src) {
          const written = b.insts.slice(k + 1, at).some((i) => "dst" in i && i.dst === s.src);
          return !written && s.bits >= d.bits && s.src !== s.dst ? { ...d, src: s.src } : d;
        }
        if ("dst" in s && s.dst === d.src) return d;
      }
      return d;
    });
  }
}

/** A store of n bytes writes only the low n bytes: an extension from n bytes or more
 *  whose result only such stores read is not needed (they store its source instead).
 *  Kept to stores later in the extension's own block, where the source, defined once
 *  and before the extension, still holds the same value. */
function skipExtensionsBeforeNarrowStores(fn: IrFunction): void {
  interface At { inst: Inst; block: number; index: number }
  const defs = new Map<VReg, At[]>();
  const readers = new Map<VReg, At[]>();
  const termReads = new Set<VReg>();
  const push = (m: Map<VReg, At[]>, r: VReg, at: At): void => {
    const l = m.get(r);
    if (l) l.push(at);
    else m.set(r, [at]);
  };
  for (const b of fn.blocks) {
    b.insts.forEach((inst, index) => {
      const at = { inst, block: b.id, index };
      if ("dst" in inst && inst.dst !== undefined) push(defs, inst.dst, at);
      for (const r of instUses(inst)) push(readers, r, at);
    });
    for (const r of termUses(b.term)) termReads.add(r);
  }
  const onlyDef = (r: VReg): At | undefined => { const l = defs.get(r); return l?.length === 1 ? l[0] : undefined; };
  for (const b of fn.blocks) {
    b.insts.forEach((ext, at) => {
      if (ext.op !== "ext" || !onlyDef(ext.dst) || termReads.has(ext.dst)) return;
      const src = onlyDef(ext.src);
      if (!src || src.block !== b.id || src.index >= at) return;
      const rs = readers.get(ext.dst) ?? [];
      const narrowStores = rs.every(({ inst: i, block, index }) => block === b.id && index > at && i.op === "store" && i.src === ext.dst && !("reg" in i.base && i.base.reg === ext.dst) && i.size * 8 <= ext.bits);
      if (!narrowStores || rs.length === 0) return;
      for (const { inst: i } of rs) if (i.op === "store") i.src = ext.src;
    });
  }
}

/** Operations whose low 32 bits depend only on their operands' low 32 bits. */
const LOW_HALF_OPS = new Set(["add", "sub", "mul", "and", "or", "xor"]);

/** `t = a op b; d = zext32 t`, t read nowhere else, is one 32-bit ALU operation `d = a op32 b`
 *  (u32 arithmetic: BPF's 32-bit ALU zero-extends its result for free). */
function fuseZeroExtensionsIntoAlu32(fn: IrFunction): void {
  const reads = new Map<VReg, number>();
  for (const b of fn.blocks) {
    for (const i of b.insts) for (const r of instUses(i)) reads.set(r, (reads.get(r) ?? 0) + 1);
    for (const r of termUses(b.term)) reads.set(r, (reads.get(r) ?? 0) + 1);
  }
  for (const b of fn.blocks) {
    const out: Inst[] = [];
    for (const i of b.insts) {
      const prev = out[out.length - 1];
      const fusable = i.op === "ext" && i.bits === 32 && !i.signed && prev?.op === "alu" && prev.dst === i.src
        && !prev.core && reads.get(prev.dst) === 1 && prev.a !== prev.dst && (isImm(prev.b) || prev.b !== prev.dst)
        && (LOW_HALF_OPS.has(prev.alu) || (prev.alu === "lsh" && isImm(prev.b) && prev.b.imm >= 0n && prev.b.imm < 32n));
      if (fusable) out[out.length - 1] = { ...prev, dst: i.dst, w32: true };
      else out.push(i);
    }
    b.insts = out;
  }
}

/** An operation whose low 32 bits depend only on its operands' low halves, and whose
 *  result is only stored as at most 4 bytes, extended from at most 32 bits or used by
 *  32-bit ALU operations, is one of the 32-bit ALU (`e.count++` of an i32 field: a load,
 *  `w += 1`, a store), so that an extension of its operand can go too (narrow.ts). So is a
 *  right shift by less than 32 of a value extended from 32 bits, arithmetic of a signed
 *  extension, logical of a zero-extension (`exit_code >> 8` of an i32 stored as an i32):
 *  the bits it shifts in are copies of the low half's sign, or zeros. Until none is left:
 *  one made 32-bit can make its operands' producers such operations. */
function narrowAluReadAsLowHalves(fn: IrFunction): void {
  const defs = new Map<VReg, number>();
  const readers = new Map<VReg, Inst[]>();
  const termReads = new Set<VReg>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if ("dst" in i && i.dst !== undefined) defs.set(i.dst, (defs.get(i.dst) ?? 0) + 1);
      forEachDistinct(instUses(i), (r) => { const l = readers.get(r); if (l) l.push(i); else readers.set(r, [i]); });
    }
    for (const r of termUses(b.term)) termReads.add(r);
  }
  const extOf = new Map<VReg, Extract<Inst, { op: "ext" }>>();
  for (const b of fn.blocks) for (const i of b.insts) if (i.op === "ext" && i.bits === 32 && defs.get(i.dst) === 1) extOf.set(i.dst, i);
  /** A right shift by an immediate below 32 of a value extended from 32 bits that way. */
  const shiftOfHalf = (i: Extract<Inst, { op: "alu" }>): boolean =>
    (i.alu === "rsh" || i.alu === "arsh") && isImm(i.b) && i.b.imm >= 0n && i.b.imm < 32n && extOf.get(i.a)?.signed === (i.alu === "arsh");
  const readsLowHalf = (i: Inst, d: VReg): boolean =>
    (i.op === "store" && i.src === d && !("reg" in i.base && i.base.reg === d) && i.size <= 4)
    || (i.op === "ext" && i.bits <= 32)
    || (i.op === "alu" && i.w32 === true && !i.core);
  const candidates = fn.blocks.flatMap((b) => b.insts).filter((i): i is Extract<Inst, { op: "alu" }> =>
    i.op === "alu" && !i.w32 && !i.core && defs.get(i.dst) === 1 && !termReads.has(i.dst) && i.a !== i.dst && i.b !== i.dst
    && (LOW_HALF_OPS.has(i.alu) || (i.alu === "lsh" && isImm(i.b) && i.b.imm >= 0n && i.b.imm < 32n) || shiftOfHalf(i)));
  for (let changed = true; changed;) {
    changed = false;
    for (const i of candidates) {
      if (i.w32) continue;
      const rs = readers.get(i.dst) ?? [];
      if (rs.length === 0 || !rs.every((r) => readsLowHalf(r, i.dst))) continue;
      i.w32 = true;
      changed = true;
    }
  }
}

/** A block with no instructions that only jumps elsewhere is skipped by its predecessors;
 *  a branch whose two targets are then one block becomes a jump. Returns whether any did. */
function threadJumps(fn: IrFunction): boolean {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const forward = (id: number): number => {
    const seen = new Set<number>();
    let cur = id;
    for (;;) {
      const b = byId.get(cur)!;
      if (b.insts.length !== 0 || b.term.op !== "jmp" || seen.has(cur)) return cur;
      seen.add(cur);
      cur = b.term.target;
    }
  };
  let joined = false;
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.op === "jmp") t.target = forward(t.target);
    else if (t.op === "br") {
      t.then = forward(t.then);
      t.else = forward(t.else);
      if (t.then === t.else) {
        b.term = { op: "jmp", target: t.then, loc: t.loc };
        joined = true;
      }
    }
  }
  return joined;
}

/** Empty blocks that return the same constant become one: an early `return 0` branches
 *  to the shared exit instead of repeating `r0 = 0; exit`. */
function mergeReturns(fn: IrFunction): void {
  const canonical = new Map<bigint, number>();
  const redirect = new Map<number, number>();
  for (const b of [...fn.blocks].reverse()) {
    const t = b.term;
    if (b.insts.length !== 0 || t.op !== "ret" || !isImm(t.value)) continue;
    const c = canonical.get(t.value.imm);
    if (c === undefined) canonical.set(t.value.imm, b.id);
    else redirect.set(b.id, c);
  }
  const to = (id: number) => redirect.get(id) ?? id;
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.op === "jmp") t.target = to(t.target);
    else if (t.op === "br") { t.then = to(t.then); t.else = to(t.else); }
  }
}

/** Drops the blocks no path from the entry reaches, and numbers the rest anew. */
export function removeUnreachable(fn: IrFunction): void {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const live = new Set<number>();
  const work = [fn.blocks[0].id];
  while (work.length) {
    const id = work.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    work.push(...successors(byId.get(id)!));
  }
  const kept = fn.blocks.filter((b) => live.has(b.id));
  const renumber = new Map(kept.map((b, i) => [b.id, i]));
  for (const b of kept) {
    b.id = renumber.get(b.id)!;
    const t = b.term;
    if (t.op === "jmp") t.target = renumber.get(t.target)!;
    else if (t.op === "br") { t.then = renumber.get(t.then)!; t.else = renumber.get(t.else)!; }
  }
  fn.blocks = kept;
}
