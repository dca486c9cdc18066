// What is known of the values of registers: whether a value is a 32-bit one, zero- or
// sign-extended (an extension, a load of at most 4 bytes, a 32-bit ALU result, a compare,
// a mask, a small constant, or a copy of one). Decides the compares that need no branch
// (branch-free-compares.ts) and those made 32-bit (isel.ts).
// In: the folded IrFunction instruction selection works on. Out: a query for a register
// at a place in a block.
//
// What is known of a register holds for all of its writes (a fixed point from "every
// register is a 32-bit value"; a parameter is not); at a place in a block, a write of
// the register earlier in that block decides instead.

import { isImm, type Block, type Inst, type IrFunction, type VReg } from "../ir/ir.js";
import { instDst } from "../ir/uses.js";

/** What is known of a value: in [0, 2^32), in [-2^31, 2^31). */
export interface Range { u32: boolean; s32: boolean }

const NONE: Range = { u32: false, s32: false };
const S32_MIN = -(1n << 31n), U32_END = 1n << 32n;

function ofConstant(v: bigint): Range {
  const s = BigInt.asIntN(64, v);
  return { u32: s >= 0n && s < U32_END, s32: s >= S32_MIN && s < -S32_MIN };
}

function rangeOf(i: Inst, known: (r: VReg) => Range): Range {
  switch (i.op) {
    case "const": return i.core ? NONE : ofConstant(i.value);
    case "mov": case "forget": return known(i.src);
    case "ext": return i.signed ? { u32: false, s32: true } : { u32: true, s32: i.bits < 32 };
    case "load": return i.size <= 4 ? { u32: true, s32: i.size < 4 } : NONE;
    case "setcc": return { u32: true, s32: true };
    case "alu": {
      if (i.core) return NONE;
      if (i.w32) return { u32: true, s32: false };
      if (i.alu === "and") {
        const b = isImm(i.b) ? ofConstant(i.b.imm) : known(i.b);
        const a = known(i.a);
        return { u32: a.u32 || b.u32, s32: (a.u32 && a.s32) || (b.u32 && b.s32) };
      }
      if (i.alu === "rsh" && isImm(i.b) && i.b.imm >= 32n && i.b.imm < 64n) return { u32: true, s32: i.b.imm > 32n };
      return NONE;
    }
    default: return NONE;
  }
}

/** The range of register r where instruction `index` of block b reads it (index = the
 *  number of instructions: where its terminator does). */
export type RangeAt = (b: Block, index: number, r: VReg) => Range;

export function valueRanges(fn: IrFunction): RangeAt {
  const defs = new Map<VReg, Inst[]>();
  for (const b of fn.blocks) for (const i of b.insts) {
    const d = instDst(i);
    if (d === undefined) continue;
    const l = defs.get(d);
    if (l) l.push(i); else defs.set(d, [i]);
  }
  const params = new Set(fn.params);
  const ranges = new Map<VReg, Range>();
  for (const r of defs.keys()) ranges.set(r, params.has(r) ? NONE : { u32: true, s32: true });
  const known = (r: VReg): Range => ranges.get(r) ?? NONE;
  for (let changed = true; changed;) {
    changed = false;
    for (const [r, is] of defs) {
      const was = known(r);
      if (!was.u32 && !was.s32) continue;
      const now = is.reduce((acc, i) => { const x = rangeOf(i, known); return { u32: acc.u32 && x.u32, s32: acc.s32 && x.s32 }; }, was);
      if (now.u32 !== was.u32 || now.s32 !== was.s32) { ranges.set(r, now); changed = true; }
    }
  }
  return (b, index, r) => {
    for (let k = index - 1; k >= 0; k--) if (instDst(b.insts[k]!) === r) return rangeOf(b.insts[k]!, known);
    return known(r);
  };
}
