// What is known of the values of registers: whether a value is a 32-bit one, zero- or
// sign-extended (an extension, a load of at most 4 bytes, a 32-bit ALU result, a compare,
// a mask, a small constant, or a copy of one), and the pid and tid halves of
// bpf_get_current_pid_tgid's result, each a pid_t, never negative. Decides the compares
// that need no branch (branch-free-compares.ts) and those made 32-bit (isel.ts, narrow.ts).
// In: the folded IrFunction instruction selection works on. Out: a query for a register,
// over all of its writes (registerRanges) or at a place in a block (valueRanges).
//
// What is known of a register holds for all of its writes (a fixed point from "every
// register is a 32-bit value"; a parameter is not); at a place in a block, a write of
// the register earlier in that block decides instead.

import { HELPER } from "../helpers.js";
import { isImm, type Block, type Inst, type IrFunction, type VReg } from "../ir/ir.js";
import { instDst } from "../ir/uses.js";

/** What is known of a value: in [0, 2^32), in [-2^31, 2^31); `pidTgid`: its halves are
 *  a tgid and a pid (pid_t values: at most PID_MAX_LIMIT, 2^22), as the helper gives them. */
export interface Range { u32: boolean; s32: boolean; pidTgid?: boolean }

const NONE: Range = { u32: false, s32: false };
const ALL: Range = { u32: true, s32: true, pidTgid: true };
const S32_MIN = -(1n << 31n), U32_END = 1n << 32n;

function ofConstant(v: bigint): Range {
  const s = BigInt.asIntN(64, v);
  return { u32: s >= 0n && s < U32_END, s32: s >= S32_MIN && s < -S32_MIN };
}

function rangeOf(i: Inst, known: (r: VReg) => Range): Range {
  switch (i.op) {
    case "const": return i.core ? NONE : ofConstant(i.value);
    case "mov": case "forget": return known(i.src);
    case "ext": return i.signed ? { u32: false, s32: true } : { u32: true, s32: i.bits < 32 || known(i.src).pidTgid === true };
    case "load": return i.size <= 4 ? { u32: true, s32: i.size < 4 } : NONE;
    case "setcc": return { u32: true, s32: true };
    case "call": return "helper" in i && i.helper === HELPER.get_current_pid_tgid ? { ...NONE, pidTgid: true } : NONE;
    case "alu": {
      if (i.core) return NONE;
      if (i.w32) return { u32: true, s32: false };
      if (i.alu === "and") {
        const b = isImm(i.b) ? ofConstant(i.b.imm) : known(i.b);
        const a = known(i.a);
        const low32 = isImm(i.b) && BigInt.asUintN(64, i.b.imm) <= 0xffff_ffffn && a.pidTgid === true;
        return { u32: a.u32 || b.u32, s32: (a.u32 && a.s32) || (b.u32 && b.s32) || low32 };
      }
      if (i.alu === "rsh" && isImm(i.b) && i.b.imm >= 32n && i.b.imm < 64n) return { u32: true, s32: i.b.imm > 32n || known(i.a).pidTgid === true };
      return NONE;
    }
    default: return NONE;
  }
}

/** The range of register r where instruction `index` of block b reads it (index = the
 *  number of instructions: where its terminator does). */
export type RangeAt = (b: Block, index: number, r: VReg) => Range;

/** What holds of each register over all of its writes. */
export function registerRanges(fn: IrFunction): (r: VReg) => Range {
  const defs = new Map<VReg, Inst[]>();
  for (const b of fn.blocks) for (const i of b.insts) {
    const d = instDst(i);
    if (d === undefined) continue;
    const l = defs.get(d);
    if (l) l.push(i); else defs.set(d, [i]);
  }
  const params = new Set(fn.params);
  const ranges = new Map<VReg, Range>();
  for (const r of defs.keys()) ranges.set(r, params.has(r) ? NONE : ALL);
  const known = (r: VReg): Range => ranges.get(r) ?? NONE;
  for (let changed = true; changed;) {
    changed = false;
    for (const [r, is] of defs) {
      const was = known(r);
      if (!was.u32 && !was.s32 && !was.pidTgid) continue;
      const now = is.reduce((acc, i) => {
        const x = rangeOf(i, known);
        return { u32: acc.u32 && x.u32, s32: acc.s32 && x.s32, pidTgid: acc.pidTgid === true && x.pidTgid === true };
      }, was);
      if (now.u32 !== was.u32 || now.s32 !== was.s32 || now.pidTgid !== (was.pidTgid === true)) { ranges.set(r, now); changed = true; }
    }
  }
  return known;
}

export function valueRanges(fn: IrFunction, known = registerRanges(fn)): RangeAt {
  return (b, index, r) => {
    for (let k = index - 1; k >= 0; k--) if (instDst(b.insts[k]!) === r) return rangeOf(b.insts[k]!, known);
    return known(r);
  };
}
