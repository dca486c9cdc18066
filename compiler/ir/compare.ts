// What an IR compare gives on two constants: the semantics of a CmpOp (its signedness is
// the op's: `slt` compares as signed 64-bit, `ult` as unsigned, `set` tests common bits).
// In: the op and two 64-bit values (either sign). Out: the outcome. Also each op's
// negation (NEGATED_CMP), for the ops that have one as a CmpOp.

import type { CmpOp } from "./ir.js";

/** What a compare being false means, as a compare being true (`set` has no such op). */
export const NEGATED_CMP: Partial<Record<CmpOp, CmpOp>> = {
  eq: "ne", ne: "eq", ugt: "ule", ule: "ugt", uge: "ult", ult: "uge",
  sgt: "sle", sle: "sgt", sge: "slt", slt: "sge",
};

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const S64 = (x: bigint): bigint => BigInt.asIntN(64, x);

export function compareConstants(cmp: CmpOp, a: bigint, b: bigint): boolean {
  switch (cmp) {
    case "eq": return U64(a) === U64(b);
    case "ne": return U64(a) !== U64(b);
    case "set": return (U64(a) & U64(b)) !== 0n;
    case "ugt": return U64(a) > U64(b);
    case "uge": return U64(a) >= U64(b);
    case "ult": return U64(a) < U64(b);
    case "ule": return U64(a) <= U64(b);
    case "sgt": return S64(a) > S64(b);
    case "sge": return S64(a) >= S64(b);
    case "slt": return S64(a) < S64(b);
    case "sle": return S64(a) <= S64(b);
  }
}
