// Compares whose 0/1 value can be computed without a branch: `a > c` is the sign of
// c - a wherever that difference cannot overflow, which holds when a is known to be a
// 32-bit value (zero- or sign-extended: an extension, a load of at most 4 bytes, a 32-bit
// ALU result, a compare, a small constant, or a copy of one) and c an s32 immediate. A
// setcc is otherwise a branch, and the verifier walks both of its ways, with the value
// differing between them, through everything after it (bits.bpf.h's log2: four in a
// row, sixteen paths, where the subtraction leaves one).
// In: the folded IrFunction instruction selection works on. Out: the setcc instructions
// (by identity) with the compare that gives 1 as `c s> a` / `a s< c`, as the sign of
// c - a or a - c.
//
// What is known of a register holds for all of its writes (a fixed point from "every
// register is a 32-bit value"; a parameter is not); at a setcc, a write of `a` earlier in
// its own block decides instead.

import { isImm, type Inst, type IrFunction, type VReg } from "../ir/ir.js";
import { instDst } from "../ir/uses.js";
import { fitsS32 } from "./imm.js";

/** What is known of a value: in [0, 2^32), in [-2^31, 2^31). */
interface Range { u32: boolean; s32: boolean }

const NONE: Range = { u32: false, s32: false };
const S32_MIN = -(1n << 31n), U32_END = 1n << 32n;

function ofConstant(v: bigint): Range {
  const s = BigInt.asIntN(64, v);
  return { u32: s >= 0n && s < U32_END, s32: s >= S32_MIN && s < -S32_MIN };
}

function rangeOf(i: Inst, known: (r: VReg) => Range): Range {
  switch (i.op) {
    case "const": return i.core ? NONE : ofConstant(i.value);
    case "mov": return known(i.src);
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

/** The compare, as "c > a" or "a < c" of signed values, that a setcc's 1 means, when
 *  its value may be computed as a difference's sign. */
export interface BranchFree { form: "c-a" | "a-c"; c: number }

export function branchFreeCompares(fn: IrFunction): ReadonlyMap<Inst, BranchFree> {
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

  const out = new Map<Inst, BranchFree>();
  for (const b of fn.blocks) {
    b.insts.forEach((i, k) => {
      if (i.op !== "setcc" || !isImm(i.b)) return;
      const local = b.insts.slice(0, k).reverse().find((p) => instDst(p) === i.a);
      const a = local ? rangeOf(local, known) : known(i.a);
      const c = BigInt.asIntN(64, i.b.imm);
      const unsigned = i.cmp === "ugt" || i.cmp === "uge" || i.cmp === "ult" || i.cmp === "ule";
      // Unsigned compares agree with signed ones on values in [0, 2^63): a a 32-bit
      // unsigned value and c not negative. Signed ones need a 32-bit value of either kind.
      if (unsigned ? !a.u32 || c < 0n : !a.u32 && !a.s32) return;
      const f = ((): BranchFree | undefined => {
        switch (i.cmp) {
          case "ugt": case "sgt": return { form: "c-a", c: 0 };
          case "uge": case "sge": return { form: "c-a", c: -1 };
          case "ult": case "slt": return { form: "a-c", c: 0 };
          case "ule": case "sle": return { form: "a-c", c: 1 };
          default: return undefined;
        }
      })();
      if (!f) return;
      // a >= c is c - 1 < a, a <= c is a < c + 1; a >=u 0 (always 1) is left alone.
      const adjusted = c + BigInt(f.c);
      if (unsigned && adjusted < 0n) return;
      if (!fitsS32(adjusted)) return;
      out.set(i, { form: f.form, c: Number(adjusted) });
    });
  }
  return out;
}
