// What an IR ALU operation gives on two constants, as the backend's instructions compute
// it: 64-bit two's complement, BPF's division by zero (x / 0 = 0, x % 0 = x), signed
// division truncating toward zero, and a w32 operation on the low halves with its result
// zero-extended. Shifts by an amount outside 0..63 (0..31 for w32) have no value here:
// the verifier refuses such an immediate, so no fold may make one disappear.
// In: the op, its width and two 64-bit values (either sign). Out: the result as a signed
// 64-bit value, or undefined.

import type { AluOp } from "./ir.js";

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const S64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** The operations a w32 ALU instruction may be (ir.ts). */
const W32_OPS: ReadonlySet<AluOp> = new Set<AluOp>(["add", "sub", "mul", "and", "or", "xor", "lsh", "rsh", "arsh"]);

export function aluConstants(op: AluOp, a: bigint, b: bigint, w32 = false): bigint | undefined {
  if (w32) {
    if (!W32_OPS.has(op)) return undefined;
    const r = op64(op, BigInt.asUintN(32, a), BigInt.asUintN(32, b), 32n);
    return r === undefined ? undefined : BigInt.asUintN(32, r);
  }
  const r = op64(op, U64(a), U64(b), 64n);
  return r === undefined ? undefined : S64(r);
}

/** `a op b` on unsigned values of `width` bits (64 for all but w32 operations). */
function op64(op: AluOp, a: bigint, b: bigint, width: bigint): bigint | undefined {
  switch (op) {
    case "add": return a + b;
    case "sub": return a - b;
    case "mul": return a * b;
    case "udiv": return b === 0n ? 0n : a / b;
    case "umod": return b === 0n ? a : a % b;
    case "sdiv": return b === 0n ? 0n : S64(a) / S64(b);
    case "smod": return b === 0n ? a : S64(a) % S64(b);
    case "and": return a & b;
    case "or": return a | b;
    case "xor": return a ^ b;
    case "lsh": return b < width ? a << b : undefined;
    case "rsh": return b < width ? a >> b : undefined;
    case "arsh": return b < width ? BigInt.asIntN(Number(width), a) >> b : undefined;
  }
}
