// A Log2Hist's bucket: bpftrace's hist() layout, so that user space draws it as bpftrace
// draws a histogram. In: the observed value. Out: IR computing the bucket number into a
// register: 0 for a negative value (signed types only), 1 for zero, k + 2 for a value in
// [2^k, 2^(k+1)), found by a binary search over the bit width in six branch-free steps
// (a branch per step would fork the verifier's states 64 ways).

import type { VReg } from "../ir/ir.js";
import { intTypeOf, toReg, type Lowerer, type Value } from "./values.js";

/** Buckets of a Log2Hist: negative, zero, and one per power of two of a 64-bit value. */
export const LOG2_HIST_SLOTS = 66;

export function log2Bucket(L: Lowerer, value: Value): VReg {
  const signed = intTypeOf(value).signed;
  const b = L.b;
  const v = b.newReg(), bucket = b.newReg();
  b.emit({ op: "mov", dst: v, src: toReg(L, value) });
  const done = b.newBlock();
  const settle = (slot: bigint, cmp: "slt" | "eq"): void => {
    const hit = b.newBlock(), next = b.newBlock();
    b.emit({ op: "const", dst: bucket, value: slot });
    b.terminate({ op: "br", cmp, a: v, b: { imm: 0n }, then: b.ref(hit), else: b.ref(next) });
    b.setBlock(hit);
    b.jump(done);
    b.setBlock(next);
  };
  if (signed) settle(0n, "slt");
  settle(1n, "eq");
  b.emit({ op: "const", dst: bucket, value: 2n });
  for (const k of [5, 4, 3, 2, 1, 0]) {
    // step = v >= 2^bits ? bits : 0, as ((0 - (v >> bits)) >> 63) << k: v >> bits is
    // below 2^63, so its negation has the top bit set exactly when it is not zero.
    const bits = 1n << BigInt(k), step = b.newReg();
    b.emit({ op: "alu", alu: "rsh", dst: step, a: v, b: { imm: bits } });
    b.emit({ op: "neg", dst: step, a: step });
    b.emit({ op: "alu", alu: "rsh", dst: step, a: step, b: { imm: 63n } });
    b.emit({ op: "alu", alu: "lsh", dst: step, a: step, b: { imm: BigInt(k) } });
    b.emit({ op: "alu", alu: "rsh", dst: v, a: v, b: step });
    b.emit({ op: "alu", alu: "add", dst: bucket, a: bucket, b: step });
  }
  b.jump(done);
  b.setBlock(done);
  return bucket;
}
