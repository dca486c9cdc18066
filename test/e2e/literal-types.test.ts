// Integer literals of 2^63 and more are u64 in every operator, folded or at run time
// (README "Integer semantics"): the program the fuzzer minimized (known bug 2 of
// test/fuzz/known-bugs.md, seeds 7193, 7220 and 7240), where / % >> took them as u64
// and comparisons and promotion as i64, and the same through top-level and local
// constants. Through a uprobe on tick(i) of targets/args.c (i = 0..9), each tick's
// results read back from out[].

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeUnsigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

const MAX = (1n << 64n) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Each expression of `n` (the tick, a u32) and what it is as a u64. */
const EXPRS: [string, (n: bigint) => bigint][] = [
  ["0xffffffffffffffff / 2", () => MAX / 2n],
  ["(0xffffffffffffffff + n) / 2", (n) => u64(MAX + n) / 2n],
  ["0xffffffffffffffff / n", (n) => (n === 0n ? 0n : MAX / n)],
  ["0xffffffffffffffff >> 1", () => MAX >> 1n],
  ["0x8000000000000000 % 3", () => (1n << 63n) % 3n],
  ["0xffffffffffffffff < 1 ? 1 : 0", () => 0n],
  ["n < 0x8000000000000000 ? 1 : 0", () => 1n],
  ["(n as i64) - 1 < 0x8000000000000000 ? 1 : 0", (n) => (n === 0n ? 0n : 1n)],
  ["(n + 0xffffffffffffffff) >> 63", (n) => u64(n - 1n) >> 63n],
  ["BIG / 2 + (BIG >> (n + 60))", (n) => MAX / 2n + (MAX >> (n + 60n) % 64n)],
  ["LOCAL >> 63", () => 1n],
  ["-0x8000000000000000 >> 63", () => 1n],
  ["0x7fffffffffffffff >> n", (n) => 0x7fffffffffffffffn >> n],
];

describe("literals of 2^63 and more", () => {
  it("are u64 in promotion, comparison, /, %, >>, folded and at run time", () => {
    const target = buildTargetFile("args");
    const source = `import { uprobe, ArrayMap, type i32, type i64, type u32, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(${ARGS_TICKS.length * EXPRS.length});
const BIG = 0xffffffffffffffff;
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  const n = i as u32;
  const LOCAL = 0x8000000000000000;
${EXPRS.map(([e], k) => `  out.set(n * ${EXPRS.length} + ${k}, ${e});`).join("\n")}
});
`;
    const { object } = compileProbe("literal-types", source);
    const map = getMap(runLoader(object, { attach: true, command: [target] }), "out");
    for (const n of ARGS_TICKS) {
      const got = EXPRS.map(([e], k) => [e, decodeUnsigned(lookup(map, Number(n) * EXPRS.length + k)!)]);
      expect(got, `tick ${n}`).toEqual(EXPRS.map(([e, f]) => [e, u64(f(n))]));
    }
  });
});
