// The clean-up step that threads an edge past a branch whose outcome a constant on that
// edge decides (compiler/ir/thread-constant-branches.ts): hand-built IR in, the edges
// checked, and the same results as before when run.

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { compareConstants } from "../../compiler/ir/compare.js";
import { threadConstantBranches } from "../../compiler/ir/thread-constant-branches.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { FnBuilder, cmpIr, imm, runIr } from "../backend/support/ir.js";

const run = (fn: IrFunction, c: bigint): bigint => runIr(fn, makeEnv(ctxOf(c, 5n))).r0;

/** `ok = ctx[0] < 10 && ctx[0] != 3` as an inlined function returning a bool leaves it
 *  (each `return` sets the flag and jumps to the join), then `if (ok) ... else ...`. */
function flagJoin(): { fn: IrFunction; join: number; yes: number; no: number } {
  const f = new FnBuilder();
  const [second, retFalse, retTrue, join, yes, no] = [f.label(), f.label(), f.label(), f.label(), f.label(), f.label()];
  const c = f.load({ reg: f.ctx }, 0, 8);
  const ok = f.reg();
  f.ins({ op: "const", dst: ok, value: 0n });
  f.br("uge", c, imm(10), join, second);
  f.at(second).br("eq", c, imm(3), retFalse, retTrue);
  f.at(retFalse).ins({ op: "const", dst: ok, value: 0n }).jmp(join);
  f.at(retTrue).ins({ op: "const", dst: ok, value: 1n }).jmp(join);
  f.at(join).br("ne", ok, imm(0), yes, no);
  f.at(yes).ret(f.load({ reg: f.ctx }, 8, 8));
  f.at(no).ret(imm(7));
  return { fn: f.build(), join, yes, no };
}

const targets = (fn: IrFunction): number[] => fn.blocks.flatMap((b) => (b.term.op === "jmp" ? [b.term.target] : b.term.op === "br" ? [b.term.then, b.term.else] : []));

describe("edges threaded past a branch their constant decides", () => {
  it("every way into the join goes to the arm its flag picks, and the join is left unreached", () => {
    const { fn, join, yes, no } = flagJoin();
    const inputs = [2n, 3n, 10n, 50n];
    const expected = inputs.map((c) => run(fn, c));
    expect(expected).toEqual([5n, 7n, 7n, 7n]);
    const out = threadConstantBranches(fn);
    expect(targets(out)).not.toContain(join);
    expect(out.blocks[0]!.term).toMatchObject({ then: no });
    expect(out.blocks.find((b) => b.insts.some((i) => i.op === "const" && i.value === 1n))!.term).toEqual({ op: "jmp", target: yes });
    expect(inputs.map((c) => run(out, c))).toEqual(expected);
    // The input is not changed; cleaned up, the join and the flag are gone.
    expect(targets(fn)).toContain(join);
    const clean = cleanupFunction(fn);
    expect(clean.blocks.filter((b) => b.term.op === "br")).toHaveLength(2);
    expect(inputs.map((c) => run(clean, c))).toEqual(expected);
  });

  it("a loop's entry that falls through into its test stays, where the back edge is not decided", () => {
    const f = new FnBuilder();
    const [head, body, out] = [f.label(), f.label(), f.label()];
    const i = f.reg();
    f.ins({ op: "const", dst: i, value: 1n }).jmp(head);
    f.at(head).br("slt", i, imm(3), body, out);
    f.at(body).ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) }).jmp(head);
    f.at(out).ret(i);
    const fn = f.build();
    expect(threadConstantBranches(fn).blocks[0]!.term).toEqual({ op: "jmp", target: head });
    expect(run(threadConstantBranches(fn), 0n)).toBe(3n);
  });

  it("a jump from elsewhere into a kept test is threaded (it is a goto either way)", () => {
    const f = new FnBuilder();
    const [test, a, b, far] = [f.label(), f.label(), f.label(), f.label()];
    const c = f.load({ reg: f.ctx }, 0, 8);
    f.br("eq", c, imm(0), far, test);
    f.at(test).br("ne", c, imm(1), a, b);
    f.at(a).ret(imm(1));
    f.at(b).ret(imm(2));
    f.at(far).ins({ op: "const", dst: c, value: 1n }).jmp(test);
    const fn = f.build();
    const out = threadConstantBranches(fn);
    expect(out.blocks[0]!.term).toMatchObject({ then: far, else: test });
    expect(out.blocks[far]!.term).toEqual({ op: "jmp", target: b });
    expect([0n, 1n, 2n].map((v) => run(out, v))).toEqual([2n, 2n, 1n]);
  });

  it("not through a copy of a constant: only a `const` is known", () => {
    const f = new FnBuilder();
    const [test, a, b] = [f.label(), f.label(), f.label()];
    const k = f.const(0);
    const x = f.reg();
    f.ins({ op: "mov", dst: x, src: k }).jmp(test);
    f.at(test).br("ne", x, imm(0), a, b);
    f.at(a).ret(imm(1));
    f.at(b).ret(imm(2));
    expect(threadConstantBranches(f.build()).blocks[0]!.term).toEqual({ op: "jmp", target: test });
  });

  it("compares constants as the IR's compares do", () => {
    const values = [0n, 1n, -1n, 3n, 1n << 63n, (1n << 63n) - 1n, -(1n << 32n)];
    for (const cmp of ["eq", "ne", "set", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle"] as const) {
      for (const a of values) for (const b of values) expect(compareConstants(cmp, a, b)).toBe(cmpIr(cmp, a, b));
    }
  });
});
