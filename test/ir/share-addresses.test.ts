// One register per address where one symref or stack addr dominates another and both are
// read as bases (compiler/ir/share-addresses.ts): hand-built IR in, which became copies.

import { describe, expect, it } from "vitest";
import { copyFunction } from "../../compiler/ir/copy.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { shareAddresses } from "../../compiler/ir/share-addresses.js";
import { FnBuilder, imm } from "../backend/support/ir.js";

const shared = (fn: IrFunction): IrFunction => {
  const out = copyFunction(fn);
  shareAddresses(out);
  return out;
};
const symrefs = (fn: IrFunction): string[] => fn.blocks.flatMap((b) => b.insts.flatMap((i) => (i.op === "symref" ? [`b${b.id}:${i.symbol}`] : [])));

describe("addresses shared", () => {
  it("in one block, and in a block the first one dominates; another symbol keeps its own", () => {
    const f = new FnBuilder();
    const a = f.mapref("m");
    const b = f.mapref("m");
    f.mapref("other");
    const next = f.label();
    f.jmp(next);
    f.at(next);
    const c = f.mapref("m");
    f.ret(f.alu("add", f.alu("add", a, b), c));
    const out = shared(f.build());
    expect(symrefs(out)).toEqual(["b0:m", "b0:other"]);
    expect(out.blocks[0]!.insts[1]).toMatchObject({ op: "mov", dst: b, src: a });
    expect(out.blocks[1]!.insts[0]).toMatchObject({ op: "mov", dst: c, src: a });
  });

  it("kept where the first is in one arm of a branch only", () => {
    const f = new FnBuilder();
    const x = f.load({ reg: f.ctx }, 0, 8);
    const arm = f.label(), join = f.label();
    f.br("eq", x, imm(0), arm, join);
    f.at(arm);
    f.mapref("m");
    f.jmp(join);
    f.at(join);
    f.ret(f.mapref("m"));
    expect(symrefs(shared(f.build()))).toEqual(["b1:m", "b2:m"]);
  });

  it("a stack slot's address at the same offset, not another offset's", () => {
    const f = new FnBuilder();
    const key = f.slot(16);
    const a = f.addr(key);
    const x = f.load({ reg: a }, 0, 8);
    f.call(5, []);
    const b = f.addr(key);
    const c = f.addr(key, 8);
    f.ret(f.alu("add", f.alu("add", x, f.load({ reg: b }, 0, 8)), f.load({ reg: c }, 0, 8)));
    const out = shared(f.build());
    const addrs = out.blocks[0]!.insts.filter((i) => i.op === "addr");
    expect(addrs).toMatchObject([{ dst: a, off: 0 }, { dst: c, off: 8 }]);
    expect(out.blocks[0]!.insts.find((i) => i.op === "mov" && i.dst === b)).toMatchObject({ src: a });
  });

  it("kept where a helper call takes the address as an argument: a move per call would cost more", () => {
    const f = new FnBuilder();
    const key = f.slot(8);
    f.call(1, [f.mapref("m"), f.addr(key)]);
    f.call(3, [f.mapref("m"), f.addr(key)]);
    const out = shared(f.build());
    expect(symrefs(out)).toEqual(["b0:m", "b0:m"]);
    expect(out.blocks[0]!.insts.filter((i) => i.op === "addr")).toHaveLength(2);
  });

  it("settings of one section read through the first one's address, at their offsets from it", () => {
    const f = new FnBuilder();
    const tgid = f.global("targ_tgid", ".rodata", 4);
    const a = f.load({ reg: tgid }, 0, 4);
    f.call(14, []);
    const b = f.load({ reg: f.global("targ_pid", ".rodata", 0) }, 0, 4);
    const c = f.load({ reg: f.global("targ_uid", ".rodata", 8) }, 0, 4);
    const n = f.load({ reg: f.global("count", ".data", 0) }, 0, 8);
    f.ret(f.alu("add", f.alu("add", a, b), f.alu("add", c, n)));
    const out = shared(f.build());
    expect(symrefs(out)).toEqual(["b0:targ_tgid", "b0:count"]);
    const read = (dst: number) => out.blocks[0]!.insts.find((i) => i.op === "load" && i.dst === dst);
    expect(read(b)).toMatchObject({ base: { reg: tgid }, off: -4 });
    expect(read(c)).toMatchObject({ base: { reg: tgid }, off: 4 });
  });

  it("a global's address read as anything but a base keeps its own symbol", () => {
    const f = new FnBuilder();
    const first = f.global("a", ".data", 0);
    f.load({ reg: first }, 0, 8);
    const second = f.global("b", ".data", 8);
    f.ret(f.alu("add", second, imm(1)));
    expect(symrefs(shared(f.build()))).toEqual(["b0:a", "b0:b"]);
  });
});
