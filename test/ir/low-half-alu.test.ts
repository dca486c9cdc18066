// The clean-up step that makes an operation whose result is only read as its low half a
// 32-bit ALU one (cleanup.ts): hand-built IR in, the operation checked, the extension of
// its operand gone in the backend's output, and the same results when run.

import { describe, expect, it } from "vitest";
import { compileFunction } from "../../compiler/backend/index.js";
import { formatInsn } from "../../compiler/bpf/disasm.js";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction, v: bigint): bigint => runIr(fn, makeEnv(ctxOf(v))).r0;

/** `slot.count++` on an i32 field: load32, sext32, add 1, store32; `alsoReturn` returns the sum too. */
function increment(alsoReturn: boolean): IrFunction {
  const f = new FnBuilder();
  const slot = f.slot(8);
  f.store({ slot }, 0, 8, f.load({ reg: f.ctx }, 0, 8));
  const x = f.load({ slot }, 0, 4);
  const s = f.reg();
  f.ins({ op: "ext", dst: s, src: x, bits: 32, signed: true });
  const y = f.alu("add", s, imm(1));
  f.store({ slot }, 0, 4, y);
  f.ret(alsoReturn ? y : f.load({ slot }, 0, 8));
  return f.build();
}

describe("operations read as their low half", () => {
  const values = [0n, 0x7fff_ffffn, 0xffff_ffffn, 0x1_2345_6789n, -1n];
  it("`count++` of an i32 stored back is `w += 1`, with no sign extension", () => {
    const fn = increment(false);
    const clean = cleanupFunction(fn);
    expect(clean.blocks[0]!.insts.find((i) => i.op === "alu")).toMatchObject({ alu: "add", w32: true });
    for (const v of values) expect(run(clean, v)).toBe(run(fn, v));
    const text = compileFunction(clean).insns.map(formatInsn);
    expect(text.filter((t) => /<<= 32|s>>= 32/.test(t))).toEqual([]);
    expect(text.some((t) => /^w\d \+= 1$/.test(t))).toBe(true);
  });

  it("kept 64-bit where the whole result is read (returned)", () => {
    const fn = increment(true);
    const clean = cleanupFunction(fn);
    expect(clean.blocks[0]!.insts.find((i) => i.op === "alu")!).not.toHaveProperty("w32", true);
    for (const v of values) expect(run(clean, v)).toBe(run(fn, v));
  });

  /** x = ext32(ctx[0]) of `signed`; store32 (x `shift` 8) into a slot; return the slot's 8 bytes. */
  function shifted(signed: boolean, shift: "rsh" | "arsh"): IrFunction {
    const f = new FnBuilder();
    const slot = f.slot(8);
    f.store({ slot }, 0, 8, imm(0));
    const x = f.reg();
    f.ins({ op: "ext", dst: x, src: f.load({ reg: f.ctx }, 0, 8), bits: 32, signed });
    f.store({ slot }, 0, 4, f.alu(shift, x, imm(8)));
    f.ret(f.load({ slot }, 0, 8));
    return f.build();
  }

  it("a right shift of a 32-bit value stored as 32 bits is the 32-bit shift, with no extension: arithmetic of an i32, logical of a u32", () => {
    for (const [signed, shift, op] of [[true, "arsh", "s>>="], [false, "rsh", ">>="]] as const) {
      const fn = shifted(signed, shift);
      const clean = cleanupFunction(fn);
      expect(clean.blocks[0]!.insts.find((i) => i.op === "alu")).toMatchObject({ alu: shift, w32: true });
      for (const v of [...values, 0x8000_0000n, 0xffff_ff00n]) expect(run(clean, v), `${shift} ${v}`).toBe(run(fn, v));
      const text = compileFunction(clean).insns.map(formatInsn);
      expect(text.filter((t) => /<<= 32|s>>= 32|^w\d = w\d$/.test(t))).toEqual([]);
      expect(text, text.join("\n")).toContainEqual(`w1 ${op} 8`);
    }
  });

  it("a right shift of the other extension's value, or of a 64-bit one, stays 64-bit", () => {
    for (const [signed, shift] of [[false, "arsh"], [true, "rsh"]] as const) {
      const clean = cleanupFunction(shifted(signed, shift));
      expect(clean.blocks[0]!.insts.find((i) => i.op === "alu")!).not.toHaveProperty("w32", true);
    }
  });
});
