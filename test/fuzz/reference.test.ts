// The fuzzer's own parts, without a kernel: the reference evaluator gives README's
// examples of integer semantics, and the generator is deterministic.

import { describe, expect, it } from "vitest";
import type { Expr, Program, Stmt } from "./ast.js";
import { generate } from "./generate.js";
import { printBatch } from "./print.js";
import { evaluate } from "./reference.js";
import { arith, compare, literal, narrow, type Typed } from "./semantics.js";
import { TARGET_PARAMS } from "./target.js";

const lit = (v: bigint): Expr => (v < 0n ? { k: "neg", e: { k: "lit", v: -v } } : { k: "lit", v });
const i64 = (v: bigint): Typed => ({ v, t: "i64" });
const u64 = (v: bigint): Typed => ({ v: BigInt.asUintN(64, v), t: "u64" });
const u8 = (v: bigint): Typed => ({ v, t: "u8" });

describe("the reference's integer semantics (README 'Integer semantics')", () => {
  it("division truncates toward zero; x / 0 = 0 and x % 0 = x", () => {
    expect(arith("/", i64(-7n), i64(2n)).v).toBe(-3n);
    expect(arith("%", i64(-7n), i64(2n)).v).toBe(-1n);
    expect(arith("/", i64(-7n), i64(0n)).v).toBe(0n);
    expect(arith("%", i64(-7n), i64(0n)).v).toBe(-7n);
    expect(arith("/", i64(-(1n << 63n)), i64(-1n)).v).toBe(-(1n << 63n));
  });

  it("narrow unsigned operands behave as signed values; a u64 operand makes the result u64", () => {
    expect(arith("-", u8(200n), u8(201n))).toEqual({ v: -1n, t: "i64" });
    expect(arith("-", u64(0n), i64(1n))).toEqual({ v: (1n << 64n) - 1n, t: "u64" });
    expect(compare("<", u8(1n), i64(-1n))).toBe(false);
    expect(compare(">", u64(-1n), i64(-1n))).toBe(false);
    expect(arith("/", u64(-8n), i64(2n)).v).toBe(((1n << 64n) - 8n) / 2n);
  });

  it(">> follows the signedness, >>> is logical, shift counts are taken mod 64", () => {
    expect(arith(">>", i64(-8n), i64(1n)).v).toBe(-4n);
    expect(arith(">>>", i64(-8n), i64(1n)).v).toBe(((1n << 64n) - 8n) >> 1n);
    expect(arith(">>", u64(1n << 63n), i64(63n)).v).toBe(1n);
    expect(arith("<<", i64(1n), i64(65n)).v).toBe(2n);
  });

  it("a literal of 2^63 and more is a u64 in every operator, a smaller one promotes as an i64", () => {
    const max = (1n << 64n) - 1n;
    expect(arith("/", literal(max), literal(2n))).toEqual({ v: (1n << 63n) - 1n, t: "u64" });
    expect(arith(">>", literal(max), literal(1n)).v).toBe((1n << 63n) - 1n);
    expect(arith("%", literal(1n << 63n), literal(3n)).v).toBe(2n);
    expect(compare("<", literal(max), literal(1n))).toBe(false);
    expect(compare("<", i64(-1n), literal(1n << 63n))).toBe(false);
    expect(compare("<", i64(-1n), literal((1n << 63n) - 1n))).toBe(true);
    expect(arith("+", u8(7n), literal(max))).toEqual({ v: 6n, t: "u64" });
  });

  it("a store narrows to the declared type", () => {
    expect(narrow("u8", 300n)).toBe(44n);
    expect(narrow("i8", 200n)).toBe(-56n);
    expect(narrow("u32", -1n)).toBe(0xffffffffn);
  });
});

describe("the reference evaluator", () => {
  const program = (body: Stmt[], params: Program["params"] = []): Program => ({
    seed: 0, structs: [], consts: [], globals: [], settings: [], maps: [], helpers: [], params, body, slots: 8,
    calls: [TARGET_PARAMS.map((p) => (p.name === "a0" ? -5n : 7n))],
  });

  it("types a top-level constant of 2^63 and more as a u64", () => {
    const p = { ...program([{ k: "out", slot: 0, e: { k: "bin", op: "/", l: { k: "ref", lv: { k: "var", name: "C" } }, r: lit(2n) } }]), consts: [{ name: "C", v: (1n << 64n) - 1n }] };
    expect(evaluate(p).out[0]).toBe((1n << 63n) - 1n);
  });

  it("fetches arguments as C passes them, narrowed to the declared type", () => {
    const out = evaluate(program([{ k: "out", slot: 0, e: { k: "ref", lv: { k: "var", name: "a0" } } }], [{ name: "a0", type: "u16" }])).out;
    expect(out[0]).toBe(0xfffbn);
  });

  it("&& yields 0 or 1, and run-time indexes out of range read 0 and write nothing", () => {
    const at = (e: Expr): Expr => ({ k: "ref", lv: { k: "elem", arr: "r", index: e } });
    const out = evaluate(program([
      { k: "array", name: "r", elem: "i16", len: 2, init: [lit(3n), lit(-4n)] },
      { k: "assign", lv: { k: "elem", arr: "r", index: { k: "bin", op: "+", l: { k: "ref", lv: { k: "var", name: "call" } }, r: lit(2n) } }, op: "=", e: lit(9n) },
      { k: "out", slot: 0, e: at({ k: "bin", op: "-", l: { k: "ref", lv: { k: "var", name: "call" } }, r: lit(1n) }) },
      { k: "out", slot: 1, e: at(lit(1n)) },
      { k: "out", slot: 2, e: { k: "logic", op: "&&", l: lit(5n), r: lit(7n) } },
    ])).out;
    expect(out.slice(0, 3)).toEqual([0n, BigInt.asUintN(64, -4n), 1n]);
  });
});

describe("the reference evaluator's order of evaluation", () => {
  it("evaluates the right side of a compound assignment to an element out of range", () => {
    const p: Program = {
      seed: 0, structs: [], consts: [], settings: [], maps: [], params: [], slots: 1,
      globals: [{ name: "g", type: "i32", init: [1n] }],
      helpers: [{ name: "h", params: [], ret: "i32", noinline: false, body: [{ k: "incdec", lv: { k: "var", name: "g" }, op: "++" }, { k: "return", e: lit(0n) }] }],
      body: [
        { k: "array", name: "r", elem: "u8", len: 2, init: [] },
        { k: "assign", lv: { k: "elem", arr: "r", index: { k: "bin", op: "+", l: { k: "ref", lv: { k: "var", name: "call" } }, r: lit(5n) } }, op: "+=", e: { k: "call", fn: "h", args: [] } },
      ],
      calls: [TARGET_PARAMS.map(() => 0n)],
    };
    expect(evaluate(p).globals.get("g")).toEqual([2n]);
  });
});

describe("the generator", () => {
  it("gives the same program for the same seed", () => {
    const text = (s: number) => printBatch([generate(s)], "/target").source;
    expect(text(7)).toBe(text(7));
    expect(text(7)).not.toBe(text(8));
  });

});
