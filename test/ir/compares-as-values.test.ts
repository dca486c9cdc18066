// The clean-up step that turns a branch picking 0 or 1 into the compare's value
// (compiler/ir/compares-as-values.ts): hand-built IR in, the setcc checked, and the same
// results as before when run.

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { CmpOp, IrFunction } from "../../compiler/ir/ir.js";
import { comparesAsValues } from "../../compiler/ir/compares-as-values.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction, c: bigint): bigint => runIr(fn, makeEnv(ctxOf(c, 5n))).r0;

/** `(ctx[0] cmp 100 ? yes : no) << 4`: the constant for the branch's way to the join set
 *  before it, the other in an arm. */
function pick(cmp: CmpOp, yes: bigint, no: bigint, armOnTrue: boolean): IrFunction {
  const f = new FnBuilder();
  const [arm, join] = [f.label(), f.label()];
  const v = f.load({ reg: f.ctx }, 0, 8);
  const x = f.reg();
  f.ins({ op: "const", dst: x, value: armOnTrue ? no : yes });
  if (armOnTrue) f.br(cmp, v, imm(100), arm, join);
  else f.br(cmp, v, imm(100), join, arm);
  f.at(arm).ins({ op: "const", dst: x, value: armOnTrue ? yes : no }).jmp(join);
  f.at(join).ret(f.aluImm("lsh", x, 4));
  return f.build();
}

describe("a branch that picks 0 or 1 is the compare's value", () => {
  const inputs = [0n, 99n, 100n, 101n, -1n];
  for (const armOnTrue of [false, true]) {
    for (const [yes, no] of [[1n, 0n], [0n, 1n]] as const) {
      it(`c ? ${yes} : ${no}, the arm on the ${armOnTrue ? "true" : "false"} way: one setcc, no branch`, () => {
        const fn = pick("ugt", yes, no, armOnTrue);
        const out = comparesAsValues(fn);
        const setcc = out.blocks[0]!.insts.find((i) => i.op === "setcc");
        expect(setcc).toMatchObject({ cmp: yes === 1n ? "ugt" : "ule", b: { imm: 100n } });
        expect(out.blocks[0]!.term).toEqual({ op: "jmp", target: 2 });
        expect(out.blocks[0]!.insts.filter((i) => i.op === "const")).toEqual([]);
        expect(inputs.map((c) => run(out, c))).toEqual(inputs.map((c) => run(fn, c)));
        expect(cleanupFunction(fn).blocks.filter((b) => b.term.op === "br")).toEqual([]);
      });
    }
  }

  it("kept for other constants, for JSET (no inverse), and where the compare reads the register", () => {
    expect(comparesAsValues(pick("ugt", 2n, 0n, false)).blocks[0]!.term.op).toBe("br");
    expect(comparesAsValues(pick("set", 0n, 1n, false)).blocks[0]!.term.op).toBe("br");
    const f = new FnBuilder();
    const [arm, join] = [f.label(), f.label()];
    const x = f.load({ reg: f.ctx }, 0, 8);
    f.br("ugt", x, imm(100), join, arm);
    f.at(arm).ins({ op: "const", dst: x, value: 0n }).jmp(join);
    f.at(join).ret(x);
    expect(comparesAsValues(f.build()).blocks[0]!.term.op).toBe("br");
  });
});
