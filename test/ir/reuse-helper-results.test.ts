// The clean-up step that calls a run-invariant helper once (compiler/ir/reuse-helper-results.ts):
// hand-built IR in, the calls left and the moves that replace the others out.

import { describe, expect, it } from "vitest";
import { HELPER } from "../../compiler/helpers.js";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { printFunction } from "../../compiler/ir/print.js";
import { reuseHelperResults } from "../../compiler/ir/reuse-helper-results.js";
import { FnBuilder, imm } from "../backend/support/ir.js";

const PID_TGID = HELPER.get_current_pid_tgid, UID_GID = HELPER.get_current_uid_gid;

/** The helper calls of a function, in layout order, and its moves. */
function calls(fn: IrFunction): number[] {
  return fn.blocks.flatMap((b) => b.insts.flatMap((i) => (i.op === "call" && "helper" in i ? [i.helper] : [])));
}
function moves(fn: IrFunction): string[] {
  return fn.blocks.flatMap((b) => b.insts.flatMap((i) => (i.op === "mov" ? [`%${i.dst} = %${i.src}`] : [])));
}

describe("run-invariant helpers called once", () => {
  it("pid() then tid(): the second call reads the first one's result", () => {
    const f = new FnBuilder();
    const a = f.call(PID_TGID, [])!;
    const pid = f.aluImm("rsh", a, 32);
    const b = f.call(PID_TGID, [])!;
    const s = f.slot(8);
    f.store({ slot: s }, 0, 4, pid);
    f.store({ slot: s }, 4, 4, b);
    f.ret(imm(0));
    const fn = f.build();
    reuseHelperResults(fn);
    expect(calls(fn)).toEqual([PID_TGID]);
    expect(moves(fn)).toEqual([`%${b} = %${a}`]);
  });

  it("a call in between keeps both calls (the result would need a callee-saved register)", () => {
    const f = new FnBuilder();
    const a = f.call(PID_TGID, [])!;
    f.call(HELPER.ktime_get_ns, []);
    const b = f.call(PID_TGID, [])!;
    f.ret(f.alu("add", a, b));
    const fn = f.build();
    reuseHelperResults(fn);
    expect(calls(fn)).toEqual([PID_TGID, HELPER.ktime_get_ns, PID_TGID]);
  });

  it("another run-invariant helper in between counts as a call too; each pair still shares", () => {
    const f = new FnBuilder();
    const a = f.call(PID_TGID, [])!;
    const b = f.call(PID_TGID, [])!;
    const c = f.call(UID_GID, [])!;
    const d = f.call(UID_GID, [])!;
    const e = f.call(PID_TGID, [])!;
    f.ret(f.alu("add", f.alu("add", f.alu("add", a, b), f.alu("add", c, d)), e));
    const fn = f.build();
    reuseHelperResults(fn);
    expect(calls(fn)).toEqual([PID_TGID, UID_GID, PID_TGID]);
    expect(moves(fn)).toEqual([`%${b} = %${a}`, `%${d} = %${c}`]);
  });

  it("across blocks: reused where the first call is the last call on every path", () => {
    // b0: a = pid; if ... b1 (no call) / b2 (map lookup); b3: pid again; b1 also goes to b4: pid again
    const f = new FnBuilder();
    const [quiet, busy, join, alone] = [f.label(), f.label(), f.label(), f.label()];
    const a = f.call(PID_TGID, [])!;
    f.br("eq", a, imm(1), quiet, busy);
    f.at(quiet).br("eq", a, imm(2), join, alone);
    f.at(busy);
    f.call(HELPER.map_lookup_elem, [f.mapref("m"), f.addr(f.slot(4))]);
    f.jmp(join);
    f.at(join);
    const b = f.call(PID_TGID, [])!;
    f.ret(b);
    f.at(alone);
    const c = f.call(PID_TGID, [])!;
    f.ret(c);
    const fn = f.build();
    reuseHelperResults(fn);
    expect(printFunction(fn)).toContain(`%${c} = %${a}`);
    expect(calls(fn)).toEqual([PID_TGID, HELPER.map_lookup_elem, PID_TGID]);
  });

  it("in a loop: reused only when the loop calls nothing else", () => {
    for (const busy of [false, true]) {
      const f = new FnBuilder();
      const [head, body, exit] = [f.label(), f.label(), f.label()];
      const a = f.call(PID_TGID, [])!;
      f.jmp(head);
      f.at(head).br("ult", a, imm(10), body, exit);
      f.at(body);
      if (busy) f.call(HELPER.ktime_get_ns, []);
      const b = f.call(PID_TGID, [])!;
      f.store({ slot: f.slot(8) }, 0, 8, b);
      f.jmp(head);
      f.at(exit).ret(imm(0));
      const fn = f.build();
      reuseHelperResults(fn);
      expect(calls(fn), busy ? "busy loop" : "quiet loop").toEqual(busy ? [PID_TGID, HELPER.ktime_get_ns, PID_TGID] : [PID_TGID]);
    }
  });

  it("a later call whose result nothing reads goes; a first result defined twice is not reused", () => {
    const f = new FnBuilder();
    const a = f.call(PID_TGID, [])!;
    f.call(PID_TGID, [], false);
    f.ret(a);
    const fn = f.build();
    reuseHelperResults(fn);
    expect(calls(fn)).toEqual([PID_TGID]);

    const g = new FnBuilder();
    const x = g.call(PID_TGID, [])!;
    g.ins({ op: "const", dst: x, value: 5n });
    const y = g.call(PID_TGID, [])!;
    g.ret(g.alu("add", x, y));
    const gn = g.build();
    reuseHelperResults(gn);
    expect(calls(gn)).toEqual([PID_TGID, PID_TGID]);
  });

  it("helpers whose result changes (ktime) are called each time; cleanup leaves its input as it was", () => {
    const f = new FnBuilder();
    const a = f.call(HELPER.ktime_get_ns, [])!;
    const b = f.call(HELPER.ktime_get_ns, [])!;
    const c = f.call(PID_TGID, [])!;
    const d = f.call(PID_TGID, [])!;
    f.ret(f.alu("add", f.alu("sub", b, a), f.alu("add", c, d)));
    const fn = f.build();
    const before = printFunction(fn);
    const out = cleanupFunction(fn);
    expect(printFunction(fn)).toBe(before);
    expect(calls(out)).toEqual([HELPER.ktime_get_ns, HELPER.ktime_get_ns, PID_TGID]);
  });
});
