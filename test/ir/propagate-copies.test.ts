// The clean-up steps that read through copies (compiler/ir/propagate-copies.ts) and
// extend an extension's source (cleanup.ts): hand-built IR in, the readers checked, and
// the same results as before when run.

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { propagateCopies } from "../../compiler/ir/propagate-copies.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction, ...ctx: bigint[]): bigint => runIr(fn, makeEnv(ctxOf(...ctx))).r0;

describe("copies read through", () => {
  it("`t = zext32 x; u = t; store32 u`: the store reads the extension, then x itself", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const t = f.reg(), u = f.reg();
    f.ins({ op: "ext", dst: t, src: x, bits: 32, signed: false });
    f.ins({ op: "mov", dst: u, src: t });
    const slot = f.slot(8);
    f.store({ slot }, 0, 8, imm(0));
    f.store({ slot }, 0, 4, u);
    f.ret(f.load({ slot }, 0, 8));
    const fn = f.build();
    const out = propagateCopies(fn);
    expect(out.blocks[0]!.insts.find((i) => i.op === "store" && i.size === 4)).toMatchObject({ src: t });
    const clean = cleanupFunction(fn);
    expect(clean.blocks[0]!.insts.some((i) => i.op === "ext")).toBe(false);
    expect(clean.blocks[0]!.insts.find((i) => i.op === "store" && i.size === 4)).toMatchObject({ src: x });
    for (const v of [0x1_2345_6789n, -1n]) expect(run(clean, v)).toBe(run(fn, v));
  });

  it("kept where the source is written again after the copy", () => {
    const f = new FnBuilder();
    const s = f.load({ reg: f.ctx }, 0, 8);
    const d = f.reg();
    f.ins({ op: "mov", dst: d, src: s });
    f.ins({ op: "alu", alu: "add", dst: s, a: s, b: imm(1) });
    f.ret(f.alu("sub", d, s));
    const fn = f.build();
    expect(propagateCopies(fn)).toBe(fn);
    expect(run(cleanupFunction(fn), 5n)).toBe(BigInt.asUintN(64, -1n));
  });

  it("kept where a reader is not after the copy on every path (a loop reading last round's copy)", () => {
    const f = new FnBuilder();
    const [head, body, out] = [f.label(), f.label(), f.label()];
    const n = f.load({ reg: f.ctx }, 0, 8);
    const d = f.reg(), i = f.reg(), acc = f.reg();
    f.ins({ op: "const", dst: d, value: 0n }).ins({ op: "const", dst: i, value: 0n }).ins({ op: "const", dst: acc, value: 0n }).jmp(head);
    f.at(head).br("ult", i, imm(3), body, out);
    // acc += d (the previous round's i * n); d = i * n; i += 1
    const v = f.reg();
    f.at(body).ins({ op: "alu", alu: "add", dst: acc, a: acc, b: d });
    f.ins({ op: "alu", alu: "mul", dst: v, a: i, b: n });
    f.ins({ op: "mov", dst: d, src: v });
    f.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) }).jmp(head);
    f.at(out).ret(acc);
    const fn = f.build();
    expect(propagateCopies(fn)).toBe(fn);
    expect(run(cleanupFunction(fn), 10n)).toBe(run(fn, 10n));
  });

  it("an extension of an extension extends the first one's source: `(i32)(u32)x` stored as 32 bits needs neither", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const z = f.reg(), s = f.reg();
    f.ins({ op: "ext", dst: z, src: x, bits: 32, signed: false });
    f.ins({ op: "ext", dst: s, src: z, bits: 32, signed: true });
    const slot = f.slot(8);
    f.store({ slot }, 0, 8, imm(0));
    f.store({ slot }, 0, 4, s);
    const r = f.alu("add", f.load({ slot }, 0, 8), s);
    f.ret(r);
    const fn = f.build();
    const clean = cleanupFunction(fn);
    const exts = clean.blocks[0]!.insts.filter((i) => i.op === "ext");
    expect(exts).toEqual([{ op: "ext", dst: s, src: x, bits: 32, signed: true }]);
    for (const v of [0x1_8000_0001n, 7n, -3n]) expect(run(clean, v)).toBe(run(fn, v));
  });
});
