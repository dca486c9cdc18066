// The clean-up step that folds a constant-only branch arm into its branch
// (compiler/ir/hoist-constant-arms.ts): hand-built IR in, the blocks left out, and the
// same results as before when run.

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { hoistConstantArms } from "../../compiler/ir/hoist-constant-arms.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";

/** `ctx[0] < 10 ? ctx[1] * 3 : 7`, with the constant arm `onTrue` or not. */
function conditional(constantOnTrue: boolean): { fn: IrFunction; arm: number } {
  const f = new FnBuilder();
  const [t, e, join] = [f.label(), f.label(), f.label()];
  const c = f.load({ reg: f.ctx }, 0, 8);
  const x = f.load({ reg: f.ctx }, 8, 8);
  const dst = f.reg();
  f.br("ult", c, imm(10), t, e);
  const value = (): void => f.ins({ op: "alu", alu: "mul", dst, a: x, b: imm(3) }).jmp(join);
  const seven = (): void => f.ins({ op: "const", dst, value: 7n }).jmp(join);
  f.at(t);
  if (constantOnTrue) seven(); else value();
  f.at(e);
  if (constantOnTrue) value(); else seven();
  f.at(join).ret(dst);
  return { fn: f.build(), arm: constantOnTrue ? t : e };
}

const run = (fn: IrFunction, c: bigint): bigint => runIr(fn, makeEnv(ctxOf(c, 5n))).r0;

describe("constant arms set before their branch", () => {
  for (const onTrue of [false, true]) {
    it(`c ? ${onTrue ? "7 : x * 3" : "x * 3 : 7"}: the constant goes before the branch, which skips its arm`, () => {
      const { fn, arm } = conditional(onTrue);
      const expected = [run(fn, 3n), run(fn, 30n)];
      hoistConstantArms(fn);
      expect(fn.blocks[0]!.insts.at(-1)).toMatchObject({ op: "const", value: 7n });
      expect(fn.blocks[arm]!.insts).toEqual([]);
      expect(fn.blocks[0]!.term).toMatchObject(onTrue ? { then: 3 } : { else: 3 });
      expect([run(fn, 3n), run(fn, 30n)]).toEqual(expected);
      expect(cleanupFunction(conditional(onTrue).fn).blocks.length).toBe(3);
    });
  }

  it("kept where the other way reads the register first (`let x = 0; if (c) x = 5`)", () => {
    const f = new FnBuilder();
    const [t, join] = [f.label(), f.label()];
    const x = f.const(0);
    f.br("eq", f.load({ reg: f.ctx }, 0, 8), imm(1), t, join);
    f.at(t).ins({ op: "const", dst: x, value: 5n }).jmp(join);
    f.at(join).ret(x);
    const fn = f.build();
    hoistConstantArms(fn);
    expect(fn.blocks[t]!.insts).toHaveLength(1);
    expect([run(fn, 1n), run(fn, 2n)]).toEqual([5n, 0n]);
  });

  it("kept where the arm has several predecessors, or the branch reads what the arm sets", () => {
    const f = new FnBuilder();
    const [mid, t, e, join] = [f.label(), f.label(), f.label(), f.label()];
    const c = f.load({ reg: f.ctx }, 0, 8);
    const dst = f.reg();
    // c && c != 4 ? c : 1 — the `1` arm is reached from both tests.
    f.br("ne", c, imm(0), mid, e);
    f.at(mid).br("ne", c, imm(4), t, e);
    f.at(t).ins({ op: "mov", dst, src: c }).jmp(join);
    f.at(e).ins({ op: "const", dst, value: 1n }).jmp(join);
    f.at(join).ret(dst);
    const fn = f.build();
    hoistConstantArms(fn);
    expect(fn.blocks[e]!.insts).toHaveLength(1);

    const g = new FnBuilder();
    const [gt, ge, gj] = [g.label(), g.label(), g.label()];
    const r = g.load({ reg: g.ctx }, 0, 8);
    g.br("eq", r, imm(0), gt, ge);
    g.at(gt).ins({ op: "const", dst: r, value: 9n }).jmp(gj);
    g.at(ge).ins({ op: "const", dst: r, value: 4n }).jmp(gj);
    g.at(gj).ret(r);
    const gn = g.build();
    hoistConstantArms(gn);
    expect([gn.blocks[gt]!.insts.length, gn.blocks[ge]!.insts.length]).toEqual([1, 1]);
    expect([run(gn, 0n), run(gn, 2n)]).toEqual([9n, 4n]);
  });
});
