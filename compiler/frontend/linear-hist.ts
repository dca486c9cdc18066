// A LinearHist's bucket: bpftrace's lhist() layout, so that user space draws it as
// bpftrace draws a linear histogram. In: the observed value (compared signed, as
// bpftrace's int64) and the histogram's min, max and step. Out: IR computing the bucket
// number into a register: 0 below min, 1 + (v - min) / step from min to max, and
// 1 + (max - min) / step (the last bucket, [max, ...)) above max.

import type { VReg } from "../ir/ir.js";
import { toReg, type Lowerer, type Value } from "./values.js";

export interface LinearShape { min: bigint; max: bigint; step: bigint }

/** Most buckets between min and max, as bpftrace allows. */
export const LINEAR_HIST_MAX_BUCKETS = 1000n;

/** Slots of the map: below min, one per step, and [max, ...). */
export function linearHistSlots(h: LinearShape): number {
  return Number((h.max - h.min) / h.step) + 2;
}

export function linearBucket(L: Lowerer, value: Value, h: LinearShape): VReg {
  const b = L.b;
  const v = b.newReg(), bucket = b.newReg();
  b.emit({ op: "mov", dst: v, src: toReg(L, value) });
  const done = b.newBlock();
  const settle = (slot: bigint, cmp: "slt" | "sgt", bound: bigint): void => {
    const hit = b.newBlock(), next = b.newBlock();
    b.emit({ op: "const", dst: bucket, value: slot });
    b.terminate({ op: "br", cmp, a: v, b: { imm: bound }, then: b.ref(hit), else: b.ref(next) });
    b.setBlock(hit);
    b.jump(done);
    b.setBlock(next);
  };
  settle(0n, "slt", h.min);
  settle(BigInt(linearHistSlots(h) - 1), "sgt", h.max);
  // min <= v <= max: v - min is not negative, so an unsigned division does.
  b.emit({ op: "alu", alu: "sub", dst: bucket, a: v, b: { imm: h.min } });
  b.emit({ op: "alu", alu: "udiv", dst: bucket, a: bucket, b: { imm: h.step } });
  b.emit({ op: "alu", alu: "add", dst: bucket, a: bucket, b: { imm: 1n } });
  b.jump(done);
  b.setBlock(done);
  return bucket;
}
