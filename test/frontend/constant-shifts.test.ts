// Shifts in constant expressions (compiler/frontend/module.ts constantValue: top-level
// constants, loop bounds, conditions) take their count modulo 64, as at run time; a
// count of 2^31 crashed the compiler (the fuzzer's seed 41988). In a function, a
// constant has its run-time, 64-bit value (module.ts runtimeConstant): `12 << 63` is 0,
// so `(12 << 63) ? 5 : 8` is 8 (it was 5, the fuzzer's seed 140066), and `1 << 63` is the
// least i64, so no i64 is below it. Checked on the IR.

import { describe, expect, it } from "vitest";
import { probeIr } from "./probe-ir.js";

function ir(prelude: string, body: string): string {
  return probeIr("shifts.ts", prelude, body);
}

describe("constant shifts", () => {
  it("take the count modulo 64", () => {
    const text = ir("const N = 1 << 66;", "out.set(0, N);");
    expect(text).toMatch(/store64 \[slot\d+ \+ 0\], 4\n/);
  });

  it("fold in a condition, however large the count", () => {
    const text = ir("", "out.set(0, (16 << 2147483648) > i ? 1 : 2);");
    expect(text).toMatch(/br s(gt|lt|ge|le) %\d+, 16 /);
  });

  it("decide a condition by their 64-bit value", () => {
    const text = ir("", "const x: i64 = (12 << 63) ? 5 : 8; out.set(0, x);");
    expect(text).toMatch(/store64 \[slot\d+ \+ 0\], 8\n/);
    expect(text).not.toMatch(/, 5\n/);
  });

  it("bound a range test by their 64-bit value", () => {
    // i >= 0 && i < -2^63 is never true: not the unsigned i < 2^63 it was folded into.
    const text = ir("", "const v: i64 = i; if (v >= 0 && v < (1 << 63)) out.set(0, 1);");
    expect(text).not.toMatch(/br ult/);
    expect(text).toMatch(/br slt %\d+, -9223372036854775808 /);
  });
});
