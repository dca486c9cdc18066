// Compares whose 0/1 value can be computed without a branch: `a > c` is the sign of
// c - a wherever that difference cannot overflow, which holds when a is known to be a
// 32-bit value (value-ranges.ts) and c an s32 immediate. A setcc is otherwise a branch,
// and the verifier walks both of its ways, with the value differing between them, through
// everything after it (bits.bpf.h's log2: four in a row, sixteen paths, where the
// subtraction leaves one).
// In: the folded IrFunction instruction selection works on, and what is known of its
// values. Out: the setcc instructions (by identity) with the compare that gives 1 as
// `c s> a` / `a s< c`, as the sign of c - a or a - c.

import { isImm, type Inst, type IrFunction } from "../ir/ir.js";
import { fitsS32 } from "./imm.js";
import type { RangeAt } from "./value-ranges.js";

/** The compare, as "c > a" or "a < c" of signed values, that a setcc's 1 means, when
 *  its value may be computed as a difference's sign. */
export interface BranchFree { form: "c-a" | "a-c"; c: number }

export function branchFreeCompares(fn: IrFunction, rangeAt: RangeAt): ReadonlyMap<Inst, BranchFree> {
  const out = new Map<Inst, BranchFree>();
  for (const b of fn.blocks) {
    b.insts.forEach((i, k) => {
      if (i.op !== "setcc" || !isImm(i.b)) return;
      const a = rangeAt(b, k, i.a);
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
