// Loads of what the block just stored to a slot nobody takes the address of
// (compiler/ir/forward-stores.ts): hand-built IR in, which loads became copies or
// constants checked, and the same results as before when run.

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import { forwardStoresToLoads } from "../../compiler/ir/forward-stores.js";
import { copyFunction } from "../../compiler/ir/copy.js";
import { instDst } from "../../compiler/ir/uses.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction, ...ctx: bigint[]): bigint => runIr(fn, makeEnv(ctxOf(...ctx))).r0;
const forwarded = (fn: IrFunction): IrFunction => {
  const out = copyFunction(fn);
  forwardStoresToLoads(out);
  return out;
};
const loads = (fn: IrFunction): number => fn.blocks.flatMap((b) => b.insts).filter((i) => i.op === "load" && "slot" in i.base).length;
const VALUES = [0n, 1n, -1n, 0x1234_5678_9abc_def0n, 1n << 40n];

describe("stores forwarded to loads", () => {
  it("a struct built field by field, then read whole: the stores go, and the constant folds", () => {
    // { lo: x (5 bytes kept), hi: 1 } as a union read as u64: what memleak's counts are.
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const slot = f.slot(8);
    f.store({ slot }, 0, 8, imm(1n << 40n));
    const whole = f.load({ slot }, 0, 8);
    const hi = f.aluImm("and", whole, -(1n << 40n));
    const lo = f.aluImm("rsh", f.aluImm("lsh", x, 24), 24);
    f.store({ slot }, 0, 8, f.alu("or", hi, lo));
    f.ret(f.load({ slot }, 0, 8));
    const fn = f.build();
    expect(loads(forwarded(fn))).toBe(0);
    const clean = cleanupFunction(fn);
    const insts = clean.blocks[0]!.insts;
    expect(insts.filter((i) => i.op === "store" || (i.op === "load" && "slot" in i.base))).toEqual([]);
    expect(insts.some((i) => i.op === "alu" && i.alu === "and")).toBe(false);
    for (const v of VALUES) expect(run(clean, v)).toBe(run(fn, v));
  });

  it("a narrower load of a wider store is not forwarded; a load of the stored width reads it zero-extended", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const slot = f.slot(8);
    f.store({ slot }, 0, 4, x);
    const same = f.load({ slot }, 0, 4);
    const part = f.load({ slot }, 0, 2);
    f.ret(f.alu("add", same, part));
    const fn = f.build();
    const out = forwarded(fn);
    expect(out.blocks[0]!.insts.find((i) => instDst(i) === same)).toMatchObject({ op: "ext", src: x, bits: 32, signed: false });
    expect(out.blocks[0]!.insts.find((i) => instDst(i) === part)).toMatchObject({ op: "load", size: 2 });
    for (const v of VALUES) expect(run(out, v)).toBe(run(fn, v));
  });

  it("kept where the stored register is written again, or a store overlaps, before the load", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const a = f.slot(8), b = f.slot(8);
    f.store({ slot: a }, 0, 8, x);
    f.ins({ op: "alu", alu: "add", dst: x, a: x, b: imm(1) });
    const fromA = f.load({ slot: a }, 0, 8);
    f.store({ slot: b }, 0, 8, imm(7));
    f.store({ slot: b }, 4, 1, imm(0xff));
    const fromB = f.load({ slot: b }, 0, 8);
    f.ret(f.alu("add", fromA, fromB));
    const fn = f.build();
    expect(loads(forwarded(fn))).toBe(2);
    for (const v of VALUES) expect(run(forwarded(fn), v)).toBe(run(fn, v));
  });

  it("kept for a slot whose address a helper gets, and across blocks", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const key = f.slot(8), local = f.slot(8);
    f.store({ slot: key }, 0, 8, x);
    f.call(1, [f.mapref("m"), f.addr(key)]);
    const k = f.load({ slot: key }, 0, 8);
    f.store({ slot: local }, 0, 8, k);
    const next = f.label();
    f.jmp(next);
    f.at(next).ret(f.load({ slot: local }, 0, 8));
    const fn = f.build();
    expect(loads(forwarded(fn))).toBe(2);
  });

  it("kept for the struct of parameters past the fourth, which the body reads (CONTRACT.md section 3)", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const slot = f.slot(8);
    f.store({ slot }, 0, 8, x);
    f.ret(f.load({ slot }, 0, 8));
    const fn = f.build();
    expect(loads(forwarded(fn))).toBe(0);
    fn.slots[slot]!.parameters = true;
    expect(loads(forwarded(fn))).toBe(1);
  });
});
