// Operations on constants computed at compile time (compiler/ir/compute-constants.ts, with
// compiler/ir/arith.ts): each ALU op on corner values, run before and after folding by the
// test's own IR runner, which must agree; what may not fold stays.

import { describe, expect, it } from "vitest";
import { copyFunction } from "../../compiler/ir/copy.js";
import { instDst } from "../../compiler/ir/uses.js";
import { computeConstants } from "../../compiler/ir/compute-constants.js";
import type { AluOp, IrFunction } from "../../compiler/ir/ir.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction): bigint => runIr(fn, makeEnv(ctxOf(0n))).r0;
const folded = (fn: IrFunction): IrFunction => {
  const out = copyFunction(fn);
  computeConstants(out);
  return out;
};
const ops = (fn: IrFunction): string[] => fn.blocks.flatMap((b) => b.insts).map((i) => i.op);

const ALU: AluOp[] = ["add", "sub", "mul", "udiv", "umod", "sdiv", "smod", "and", "or", "xor", "lsh", "rsh", "arsh"];
const CORNERS = [0n, 1n, -1n, 7n, -7n, 63n, 1n << 31n, (1n << 32n) + 5n, -(1n << 63n), (1n << 63n) - 1n];

describe("constants folded", () => {
  it("every ALU op, 64-bit and (where one exists) w32, on corner values: the runner's result", () => {
    for (const alu of ALU) {
      for (const w32 of [false, true]) {
        if (w32 && !["add", "sub", "mul", "and", "or", "xor", "lsh"].includes(alu)) continue;
        for (const a of CORNERS) {
          for (const b of CORNERS) {
            const shift = alu === "lsh" || alu === "rsh" || alu === "arsh";
            if (shift && (b < 0n || b >= (w32 ? 32n : 64n))) continue;
            const f = new FnBuilder();
            const r = f.reg();
            f.ins({ op: "alu", alu, dst: r, a: f.const(a), b: imm(b), ...(w32 ? { w32 } : {}) });
            f.ret(r);
            const fn = f.build();
            const out = folded(fn);
            expect({ alu, w32, a, b, ops: ops(out) }).toEqual({ alu, w32, a, b, ops: ["const", "const"] });
            expect({ alu, w32, a, b, r: run(out) }).toEqual({ alu, w32, a, b, r: run(fn) });
          }
        }
      }
    }
  });

  it("through chains (neg, ext, setcc, mov of a folded value), whatever the layout order", () => {
    const f = new FnBuilder();
    const later = f.label();
    const first = f.label();
    f.jmp(first);
    const c = f.const(-300);
    f.at(first);
    const n = f.reg();
    f.ins({ op: "neg", dst: n, a: c });
    f.jmp(later);
    f.at(later);
    const e = f.reg(), s = f.reg(), m = f.reg();
    f.ins({ op: "ext", dst: e, src: n, bits: 8, signed: true });
    f.ins({ op: "setcc", dst: s, cmp: "slt", a: e, b: imm(0) });
    f.ins({ op: "mov", dst: m, src: s });
    f.ret(f.aluImm("add", m, 10));
    const fn = f.build();
    const out = folded(fn);
    expect(ops(out).every((o) => o === "const")).toBe(true);
    expect(run(out)).toBe(run(fn));
    expect(run(out)).toBe(10n); // -(-300) = 300 = 0x12c; its low byte 0x2c is positive: 0 + 10
  });

  it("leaves shifts out of range, registers written twice, and CO-RE constants", () => {
    const f = new FnBuilder();
    const c = f.const(5);
    const big = f.aluImm("lsh", c, 64);
    const twice = f.const(1);
    f.ins({ op: "alu", alu: "add", dst: twice, a: twice, b: imm(1) });
    const core = f.reg();
    f.ins({ op: "const", dst: core, value: 8n, core: { root: { kind: "struct", name: "file", size: 16, align: 8, fields: [] }, field: "f_mode", kind: 0 } });
    const fromCore = f.aluImm("add", core, 1);
    f.ret(f.alu("add", f.alu("add", big, twice), fromCore));
    const out = folded(f.build());
    const insts = out.blocks[0]!.insts;
    expect(insts.find((i) => instDst(i) === big)).toMatchObject({ op: "alu", alu: "lsh" });
    expect(insts.find((i) => i.op === "alu" && instDst(i) === twice)).toBeDefined();
    expect(insts.find((i) => instDst(i) === fromCore)).toMatchObject({ op: "alu" });
  });

  it("identities: an operation that leaves its operand as it is becomes a copy, one whose result it cannot change a const", () => {
    const cases: [AluOp, bigint, "left" | "right", "mov" | "const" | "alu", boolean?][] = [
      ["add", 0n, "right", "mov"], ["add", 0n, "left", "mov"], ["sub", 0n, "right", "mov"], ["sub", 0n, "left", "alu"],
      ["or", 0n, "left", "mov"], ["xor", 0n, "right", "mov"], ["lsh", 0n, "right", "mov"], ["rsh", 0n, "right", "mov"],
      ["arsh", 0n, "right", "mov"], ["mul", 1n, "right", "mov"], ["mul", 1n, "left", "mov"], ["udiv", 1n, "right", "mov"],
      ["sdiv", 1n, "right", "mov"], ["umod", 1n, "right", "const"], ["smod", 1n, "right", "const"], ["and", -1n, "right", "mov"],
      ["and", -1n, "left", "mov"], ["mul", 0n, "right", "const"], ["mul", 0n, "left", "const"], ["and", 0n, "right", "const"],
      ["udiv", 1n, "left", "alu"], ["add", 0n, "right", "alu", true], ["and", 0n, "right", "const", true], ["mul", 0n, "left", "const", true],
    ];
    for (const [alu, k, side, want, w32] of cases) {
      const f = new FnBuilder();
      const x = f.load({ reg: f.ctx }, 0, 8);
      const c = f.const(k);
      const r = f.reg();
      f.ins({ op: "alu", alu, dst: r, a: side === "left" ? c : x, b: side === "left" ? x : imm(k), ...(w32 ? { w32 } : {}) });
      f.ret(r);
      const fn = f.build();
      const out = folded(fn);
      const got = out.blocks[0]!.insts.find((i) => instDst(i) === r)!;
      expect({ alu, k, side, w32, op: got.op }).toEqual({ alu, k, side, w32, op: want });
      for (const v of CORNERS) expect(runIr(out, makeEnv(ctxOf(v))).r0, `${alu} ${k} ${side} ${v}`).toBe(runIr(fn, makeEnv(ctxOf(v))).r0);
    }
  });
});
