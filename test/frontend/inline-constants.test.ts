// Inlined calls with constant arguments (compiler/frontend/function-calls.ts): the body
// folds with them. Checked on the IR (--dump-ir) of small probes; the values they compute
// run in the kernel in test/e2e/robustness.test.ts.

import { describe, expect, it } from "vitest";
import { probeIr } from "./probe-ir.js";

function ir(prelude: string, body: string): string {
  return probeIr("inline.ts", prelude, body);
}

const aluLines = (text: string): string[] => text.split("\n").filter((l) => /= (add|sub|mul|and|or|lsh)\b/.test(l)).map((l) => l.trim().replace(/%\d+/g, "%"));
const branches = (text: string): number => text.split("\n").filter((l) => /^\s+br /.test(l)).length;

describe("constant arguments of inlined calls", () => {
  it("fold into the body: an immediate operand, the expression computed at compile time", () => {
    const text = ir(`function scale(x: i64, k: i64): i64 { return x * k + k; }
function mask(x: i64, bits: u32): i64 { return x & ((1 << bits) - 1); }`, `out.set(0, scale(i, 4) + mask(i, 12));`);
    expect(aluLines(text)).toEqual(["% = mul %, 4", "% = add %, 4", "% = and %, 4095", "% = add %, %"]);
  });

  it("decide a conditional on them: one arm, no branch", () => {
    const text = ir(`function pick(on: u32, a: i64, b: i64): i64 { return on ? a : b; }`, `out.set(0, pick(1, i, 7) + pick(0, i, 7));`);
    expect(branches(text)).toBe(0);
    expect(aluLines(text)).toEqual(["% = add %, 7"]);
  });

  it("a parameter the body assigns is a variable, constant argument or not", () => {
    const text = ir(`function bump(n: i64): i64 { n += 1; if (n > 5) n = 5; return n; }`, `out.set(0, bump(2));`);
    expect(branches(text)).toBe(1);
  });
});
