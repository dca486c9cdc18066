// A setting read again with no call since its last read reuses that read
// (compiler/ir/reuse-setting-loads.ts): hand-built IR in, the loads that became copies out.

import { describe, expect, it } from "vitest";
import { copyFunction } from "../../compiler/ir/copy.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { reuseSettingLoads } from "../../compiler/ir/reuse-setting-loads.js";
import { FnBuilder, imm } from "../backend/support/ir.js";

const reused = (fn: IrFunction): IrFunction => {
  const out = copyFunction(fn);
  reuseSettingLoads(out);
  return out;
};
const loads = (fn: IrFunction): number => fn.blocks.reduce((n, b) => n + b.insts.filter((i) => i.op === "load").length, 0);

describe("setting loads reused", () => {
  it("read again in a block the first read dominates, with no call between: a copy of the first", () => {
    const f = new FnBuilder();
    const a = f.load({ reg: f.global("targ_pid", ".rodata", 0) }, 0, 4);
    const then = f.label(), done = f.label();
    f.br("eq", a, imm(0), done, then);
    f.at(then);
    const b = f.load({ reg: f.global("targ_pid", ".rodata", 0) }, 0, 4);
    f.jmp(done);
    f.at(done);
    f.ret(b);
    const out = reused(f.build());
    expect(loads(out)).toBe(1);
    expect(out.blocks[1]!.insts.find((i) => i.op === "mov")).toMatchObject({ dst: b, src: a });
  });

  it("read again after a helper call, at another offset or size, or from a global: read again", () => {
    const f = new FnBuilder();
    const setting = f.global("targ_uid", ".rodata", 0);
    f.load({ reg: setting }, 0, 4);
    f.call(15, []);
    f.load({ reg: setting }, 0, 4);
    f.load({ reg: setting }, 4, 4);
    f.load({ reg: setting }, 0, 8);
    const counter = f.global("count", ".data", 0);
    f.load({ reg: counter }, 0, 8);
    f.ret(f.load({ reg: counter }, 0, 8));
    expect(loads(reused(f.build()))).toBe(6);
  });

  it("read on one path only before the join: read again after it", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const arm = f.label(), join = f.label();
    f.br("eq", x, imm(0), arm, join);
    f.at(arm);
    f.load({ reg: f.global("targ_pid", ".rodata", 0) }, 0, 4);
    f.jmp(join);
    f.at(join);
    f.ret(f.load({ reg: f.global("targ_pid", ".rodata", 0) }, 0, 4));
    expect(loads(reused(f.build()))).toBe(3);
  });
});
