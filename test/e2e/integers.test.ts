// Integer semantics at run time: signed and unsigned division and remainder (truncating
// toward zero, x/0 = 0 and x%0 = x as in BPF), shifts, signed vs unsigned comparisons,
// and narrowing on store. The probes compute on values fetched at uprobes in
// targets/edge.c; the expected results are computed here with BigInt by the rules of
// README "Integer semantics". Compiled for CPU v3 (signed division expanded, sign extension
// by shifts) and v4 (sdiv and smod, sign-extending loads and moves), run by this kernel.

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeSigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { EDGE_DIV, EDGE_NARROW, EDGE_SHIFT, EDGE_UDIV } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** Results per call: the expressions in the probe, in order, and their expected values. */
const DIV_EXPRS: [string, (a: bigint, b: bigint) => bigint][] = [
  ["a / b", (a, b) => s64(a / b)],
  ["a % b", (a, b) => s64(a % b)],
  ["a < b ? 1 : 0", (a, b) => (a < b ? 1n : 0n)],
  ["a >> 1", (a) => a >> 1n],
  ["a * b", (a, b) => s64(a * b)],
  ["-a", (a) => s64(-a)],
  ["a / (b - b)", () => 0n],
  ["a % (b - b)", (a) => a],
];
const UDIV_EXPRS: [string, (a: bigint, b: bigint) => bigint][] = [
  ["a / b", (a, b) => a / b],
  ["a % b", (a, b) => a % b],
  ["a > b ? 1 : 0", (a, b) => (a > b ? 1n : 0n)],
  ["a >> 1", (a) => a >> 1n],
  ["a > 0x7fffffffffffffff ? 1 : 0", (a) => (a > 0x7fffffffffffffffn ? 1n : 0n)],
  ["a + b", (a, b) => u64(a + b)],
];
const SHIFT_EXPRS: [string, (v: bigint, n: bigint) => bigint][] = [
  ["v << n", (v, n) => u64(v << n)],
  ["v >> n", (v, n) => v >> n],
  ["(v as i64) >> n", (v, n) => s64(v) >> n],
  ["v >>> n", (v, n) => v >> n],
];
const NARROW_EXPRS: [string, (x: { a: bigint; b: bigint; c: bigint; d: bigint }) => bigint][] = [
  ["a as u8", ({ a }) => a & 0xffn],
  ["a as i8", ({ a }) => BigInt.asIntN(8, a)],
  ["b as i16", ({ b }) => BigInt.asIntN(16, b)],
  ["b * 2", ({ b }) => b * 2n],
  ["narrow32(b * 2)", ({ b }) => (b * 2n) & 0xffffffffn],
  ["c + d", ({ c, d }) => c + d],
  ["d - c", ({ c, d }) => d - c],
  ["~d", ({ d }) => ~d],
];

function block(map: string, exprs: [string, unknown][]): string {
  return exprs.map(([e], i) => `  ${map}.set(seq * ${exprs.length} + ${i}, ${e});`).join("\n");
}

function source(target: string): string {
  return `import { uprobe, HashMap, type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64 } from "bpftsc";

const divOut = new HashMap<u32, i64>(64);
const udivOut = new HashMap<u32, u64>(64);
const shiftOut = new HashMap<u32, u64>(64);
const narrowOut = new HashMap<u32, i64>(64);

function narrow32(x: u32): u32 {
  return x;
}

export const onDiv = uprobe(${JSON.stringify(target)}, "div_case", (seq: i32, a: i64, b: i64) => {
${block("divOut", DIV_EXPRS)}
});

export const onUdiv = uprobe(${JSON.stringify(target)}, "udiv_case", (seq: i32, a: u64, b: u64) => {
${block("udivOut", UDIV_EXPRS)}
});

export const onShift = uprobe(${JSON.stringify(target)}, "shift_case", (seq: i32, v: u64, n: i32) => {
${block("shiftOut", SHIFT_EXPRS)}
});

export const onNarrow = uprobe(${JSON.stringify(target)}, "narrow_case", (seq: i32, a: u64, b: u32, c: u16, d: u8) => {
${block("narrowOut", NARROW_EXPRS)}
});
`;
}

describe.each(["v3", "v4"])("integer semantics at run time (--cpu %s)", (cpu) => {
  const target = buildTargetFile("edge");
  const { object, listing } = compileProbe(`integers-${cpu}`, source(target), { cpu });
  const result = runLoader(object, { attach: true, command: [target] });
  const read = (map: string, key: number, signed: boolean) => {
    const hex = lookup(getMap(result, map), key);
    if (hex === undefined) throw new Error(`${map}[${key}] missing`);
    return signed ? decodeSigned(hex) : BigInt.asUintN(64, decodeSigned(hex));
  };

  it("the target ran", () => expect(result.command?.exit_code).toBe(0));

  it(cpu === "v4" ? "divides with sdiv and smod, extends with movsx or sign-extending loads" : "uses no CPU v4 instruction", () => {
    const v4 = [/ s\/= /, / s%= /, /= \(s(8|16|32)\)r/, /= \*\(s(8|16|32) \*\)/];
    for (const re of v4.slice(0, 2)) expect(re.test(listing)).toBe(cpu === "v4");
    expect(v4.slice(2).some((re) => re.test(listing))).toBe(cpu === "v4");
  });

  it("u32 arithmetic narrowed at once uses the 32-bit ALU (narrow32(b * 2))", () => {
    expect(listing).toMatch(/\tw\d \*= 2\n/);
  });

  EDGE_DIV.forEach(({ a, b }, seq) => {
    it(`signed: a=${a} b=${b}`, () => {
      DIV_EXPRS.forEach(([e, f], i) => expect({ e, v: read("divOut", seq * DIV_EXPRS.length + i, true) }).toEqual({ e, v: f(a, b) }));
    });
  });
  EDGE_UDIV.forEach(({ a, b }, seq) => {
    it(`unsigned: a=${a} b=${b}`, () => {
      UDIV_EXPRS.forEach(([e, f], i) => expect({ e, v: read("udivOut", seq * UDIV_EXPRS.length + i, false) }).toEqual({ e, v: f(a, b) }));
    });
  });
  EDGE_SHIFT.forEach(({ v, n }, seq) => {
    it(`shifts: v=${v} n=${n}`, () => {
      SHIFT_EXPRS.forEach(([e, f], i) => expect({ e, v: read("shiftOut", seq * SHIFT_EXPRS.length + i, false) }).toEqual({ e, v: u64(f(v, n)) }));
    });
  });
  EDGE_NARROW.forEach((x, seq) => {
    it(`narrowing: ${JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`, () => {
      NARROW_EXPRS.forEach(([e, f], i) => expect({ e, v: read("narrowOut", seq * NARROW_EXPRS.length + i, true) }).toEqual({ e, v: s64(f(x)) }));
    });
  });
});
