// Branches an earlier compare decides (compiler/backend/dominated-branches.ts): a loop's
// test makes the bound check in its body true; a write between them, or a value that may
// be negative for an unsigned check, keeps the check. Each case also runs the machine
// code against the IR.

import { describe, expect, it } from "vitest";
import { compileFunction } from "../../compiler/backend/index.js";
import { formatInsn } from "../../compiler/bpf/disasm.js";
import type { IrFunction, VReg } from "../../compiler/ir/ir.js";
import { ctxOf, runBoth } from "./support/env.js";
import { FnBuilder, countedLoop, imm } from "./support/ir.js";

/** The compiled function's conditional jumps, after checking it computes what the IR does. */
function branches(ir: IrFunction, ctxs: bigint[]): string[] {
  const mc = compileFunction(ir);
  for (const v of ctxs) {
    const r = runBoth(ir, mc, ctxOf(v));
    expect(r.bpf.r0).toBe(r.ir.r0);
  }
  return mc.insns.map(formatInsn).filter((l) => l.startsWith("if "));
}

/** for (i: u32 = 0; i s< 4; i++) acc += body-chosen value; the body gets i and the ctx word. */
function loop(body: (b: FnBuilder, i: VReg, x: VReg, acc: VReg) => void): IrFunction {
  const b = new FnBuilder();
  const x = b.load({ reg: b.ctx }, 0, 8);
  b.ret(countedLoop(b, (i, acc) => body(b, i, x, acc), { cmp: "slt", w32: true }));
  return b.build();
}

/** if (v u< 4) acc += v else acc += 100, then on to the loop's next iteration. */
function boundCheck(b: FnBuilder, v: VReg, acc: VReg): void {
  const inside = b.label(), outside = b.label(), next = b.label();
  b.br("ult", v, imm(4n), inside, outside);
  b.at(inside);
  b.ins({ op: "alu", alu: "add", dst: acc, a: acc, b: v });
  b.jmp(next);
  b.at(outside);
  b.ins({ op: "alu", alu: "add", dst: acc, a: acc, b: imm(100n) });
  b.jmp(next);
  b.at(next);
}

describe("branches decided by a compare before them", () => {
  it("drops a bound check the loop's test makes true, on the counter or on a copy of it", () => {
    const direct = loop((b, i, _x, acc) => boundCheck(b, i, acc));
    expect(branches(direct, [0n])).toEqual([expect.stringMatching(/^if r\d s(<|>=) 4 goto/)]);
    const copied = loop((b, i, _x, acc) => {
      const c = b.reg();
      b.ins({ op: "mov", dst: c, src: i });
      boundCheck(b, c, acc);
    });
    expect(branches(copied, [0n])).toHaveLength(1);
  });

  it("keeps it when the counter is written between the test and the check", () => {
    const ir = loop((b, i, x, acc) => {
      b.ins({ op: "alu", alu: "add", dst: i, a: i, b: x });
      boundCheck(b, i, acc);
    });
    expect(branches(ir, [0n, 1n, 9n])).toHaveLength(2);
  });

  it("keeps an unsigned check of a value that may be negative, below a signed test", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const small = b.label(), big = b.label();
    b.br("slt", x, imm(4n), small, big);
    b.at(small);
    const acc = b.reg();
    b.ins({ op: "const", dst: acc, value: 0n });
    boundCheck(b, x, acc);
    b.ret(acc);
    b.at(big).ret(imm(7n));
    expect(branches(b.build(), [-1n, 2n, 9n])).toHaveLength(2);
  });

  it("decides a signed check from a signed test on any value", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const small = b.label(), big = b.label(), yes = b.label(), no = b.label();
    b.br("slt", x, imm(4n), small, big);
    b.at(small);
    b.br("sle", x, imm(10n), yes, no);
    b.at(yes).ret(imm(1n));
    b.at(no).ret(imm(2n));
    b.at(big).ret(imm(3n));
    expect(branches(b.build(), [-5n, 3n, 4n, 20n])).toHaveLength(1);
  });
});
