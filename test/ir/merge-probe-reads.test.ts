// The clean-up step that reads several parts of one probed object at once
// (compiler/ir/merge-probe-reads.ts): hand-built IR shaped as the frontend emits field
// reads (an address, a probe read into the scratch slot, a load from it), run before and
// after in a world whose probe reads copy from a probed memory region.

import { describe, expect, it } from "vitest";
import { HELPER } from "../../compiler/helpers.js";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import type { IrFunction, Size, VReg } from "../../compiler/ir/ir.js";
import { mergeProbeReads } from "../../compiler/ir/merge-probe-reads.js";
import { FnBuilder, imm, runIr } from "../backend/support/ir.js";
import { Memory, type Env } from "../backend/support/machine.js";

const USER: number = HELPER.probe_read_user, KERNEL: number = HELPER.probe_read_kernel, OTHER = 100;

/** A world: the context holds the probed region's address twice; probe reads copy. */
function world(bytes: Uint8Array): { env: Env; base: bigint } {
  const mem = new Memory();
  const probed = mem.add("probed", bytes);
  const ctx = mem.add("ctx", new Uint8Array(16));
  mem.write(ctx, 8, probed);
  mem.write(ctx + 8n, 8, probed);
  const helpers = {
    arity: { [USER]: 3, [KERNEL]: 3, [OTHER]: 0 },
    call(id: number, args: bigint[], m: Memory): bigint {
      if (id === OTHER) return 0n;
      for (let k = 0n; k < args[1]!; k++) m.write(args[0]! + k, 1, m.read(args[2]! + k, 1));
      return 0n;
    },
  };
  return { env: { mem, ctx, maps: new Map(), helpers }, base: probed };
}

class Reads {
  readonly f = new FnBuilder();
  readonly scratch = this.f.slot(8);
  /** `p.field` of an object of `objSize` bytes at p - objOff, as probed.ts emits it. */
  read(p: VReg, off: number, size: Size, objSize: number, helper = USER, objOff = 0): VReg {
    const a = off === 0 ? p : this.f.aluImm("add", p, off);
    const d = this.f.addr(this.scratch);
    this.f.ins({ op: "call", helper, args: [d, imm(size), a], probed: { start: objOff + off, size: objSize } });
    return this.f.load({ slot: this.scratch }, 0, size);
  }
}

const probeCalls = (fn: IrFunction): string[] => fn.blocks.flatMap((b) => b.insts.flatMap((i) => (i.op === "call" && "helper" in i && i.helper !== OTHER ? [`${i.helper}:${(i.args[1] as { imm: bigint }).imm}`] : [])));
const run = (fn: IrFunction, bytes: Uint8Array) => runIr(fn, world(bytes).env);
const text = (s: string, size = 16) => { const b = new Uint8Array(size); b.set(new TextEncoder().encode(s)); return b; };

describe("probe reads of one object merged", () => {
  it("the bytes of a path prefix, tested one after another: one read of all five", () => {
    const r = new Reads();
    const f = r.f;
    const p = f.load({ reg: f.ctx }, 0, 8);
    const fail = f.label();
    let next = f.label();
    for (const [k, ch] of [..."/tmp/"].entries()) {
      const c = r.read(p, k, 1, 5);
      f.br("ne", c, imm(ch.charCodeAt(0)), fail, next);
      f.at(next);
      next = f.label();
    }
    f.ret(imm(1));
    f.at(fail).ret(imm(0));
    const fn = f.build();
    const before = ["/tmp/a", "/tmq/", "/usr/"].map((s) => run(fn, text(s)).r0);
    const out = cleanupFunction(fn);
    expect(probeCalls(out)).toEqual([`${USER}:5`]);
    expect(["/tmp/a", "/tmq/", "/usr/"].map((s) => run(out, text(s)).r0)).toEqual(before);
    expect(before).toEqual([1n, 0n, 0n]);
  });

  it("a list walk: each node's value and next read at once, the node changing every iteration", () => {
    // Nodes of 16 bytes: value at 0, next at 8 (an address in the region, or 0).
    const r = new Reads();
    const f = r.f;
    const [head, body, exit] = [f.label(), f.label(), f.label()];
    const n = f.load({ reg: f.ctx }, 0, 8);
    const sum = f.const(0);
    const i = f.const(0);
    f.jmp(head);
    f.at(head).br("ult", i, imm(4), body, exit);
    f.at(body);
    const stop = f.label(), go = f.label();
    f.br("eq", n, imm(0), stop, go);
    f.at(go);
    f.ins({ op: "alu", alu: "add", dst: sum, a: sum, b: r.read(n, 0, 8, 16) });
    f.ins({ op: "mov", dst: n, src: r.read(n, 8, 8, 16) });
    f.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) });
    f.jmp(head);
    f.at(stop).jmp(exit);
    f.at(exit).ret(sum);
    const fn = f.build();
    const list = (): Env => {
      const { env, base } = world(new Uint8Array(64));
      [[5n, 16n], [7n, 32n], [9n, 0n]].forEach(([v, next], k) => {
        env.mem.write(base + BigInt(16 * k), 8, v);
        env.mem.write(base + BigInt(16 * k + 8), 8, next === 0n ? 0n : base + next);
      });
      return env;
    };
    expect(runIr(fn, list()).r0).toBe(21n);
    const out = cleanupFunction(fn);
    expect(probeCalls(out)).toEqual([`${USER}:16`]);
    const got = runIr(out, list());
    expect([got.r0, got.calls.length]).toEqual([21n, 3]);
  });

  it("a pointer chain read again (n.next.v, then n.next.next.v): n.next and its node read once", () => {
    const r = new Reads();
    const f = r.f;
    const n = f.load({ reg: f.ctx }, 0, 8);
    const v1 = r.read(r.read(n, 0, 8, 16), 8, 8, 16);
    const v2 = r.read(r.read(r.read(n, 0, 8, 16), 0, 8, 16), 8, 8, 16);
    f.ret(f.alu("add", v1, v2));
    const fn = f.build();
    mergeProbeReads(fn);
    // n.next (8 bytes); the second node's next and v (16); the third node's v.
    expect(probeCalls(fn)).toEqual([`${USER}:8`, `${USER}:16`, `${USER}:8`]);
  });

  it("kept apart: a helper call between kernel reads, another object, a base written again, a 64-byte window", () => {
    const cases: [string, (r: Reads, p: VReg, q: VReg) => VReg, string[]][] = [
      ["call between kernel reads", (r, p) => { const a = r.read(p, 0, 4, 8, KERNEL); r.f.call(OTHER, []); return r.f.alu("add", a, r.read(p, 4, 4, 8, KERNEL)); }, [`${KERNEL}:4`, `${KERNEL}:4`]],
      ["call between user reads", (r, p) => { const a = r.read(p, 0, 4, 8); r.f.call(OTHER, []); return r.f.alu("add", a, r.read(p, 4, 4, 8)); }, [`${USER}:8`]],
      ["store through a pointer between kernel reads", (r, p) => { const a = r.read(p, 0, 4, 8, KERNEL); r.f.store({ reg: r.f.ctx }, 0, 8, imm(0)); return r.f.alu("add", a, r.read(p, 4, 4, 8, KERNEL)); }, [`${KERNEL}:4`, `${KERNEL}:4`]],
      ["two pointers", (r, p, q) => r.f.alu("add", r.read(p, 0, 4, 8), r.read(q, 4, 4, 8)), [`${USER}:4`, `${USER}:4`]],
      ["objects of two sizes", (r, p) => r.f.alu("add", r.read(p, 0, 4, 8), r.read(p, 4, 4, 16)), [`${USER}:4`, `${USER}:4`]],
      ["the base written again", (r, p) => { const a = r.read(p, 0, 4, 8); r.f.ins({ op: "alu", alu: "add", dst: p, a: p, b: imm(0) }); return r.f.alu("add", a, r.read(p, 4, 4, 8)); }, [`${USER}:4`, `${USER}:4`]],
      ["fields 100 bytes apart", (r, p) => r.f.alu("add", r.read(p, 0, 4, 200), r.read(p, 100, 4, 200)), [`${USER}:4`, `${USER}:4`]],
      ["fields in one window", (r, p) => r.f.alu("add", r.read(p, 4, 4, 200), r.read(p, 60, 4, 200)), [`${USER}:64`]],
    ];
    for (const [name, body, want] of cases) {
      const r = new Reads();
      const p = r.f.load({ reg: r.f.ctx }, 0, 8);
      const q = r.f.load({ reg: r.f.ctx }, 8, 8);
      r.f.ret(body(r, p, q));
      const fn = r.f.build();
      const bytes = Uint8Array.from({ length: 256 }, (_, k) => k);
      const before = run(fn, bytes).r0;
      mergeProbeReads(fn);
      expect({ name, calls: probeCalls(fn) }).toEqual({ name, calls: want });
      expect({ name, r0: run(fn, bytes).r0 }).toEqual({ name, r0: before });
    }
  });

  it("only reads into a slot loaded right after them: another read's data loaded in a later block stays", () => {
    const r = new Reads();
    const f = r.f;
    const p = f.load({ reg: f.ctx }, 0, 8);
    const a = r.read(p, 0, 4, 8);
    const later = f.label();
    const d = f.addr(r.scratch);
    f.ins({ op: "call", helper: USER, args: [d, imm(4), f.aluImm("add", p, 4)], probed: { start: 4, size: 8 } });
    f.jmp(later);
    f.at(later).ret(f.alu("add", a, f.load({ slot: r.scratch }, 0, 4)));
    const fn = f.build();
    mergeProbeReads(fn);
    expect(probeCalls(fn)).toEqual([`${USER}:4`, `${USER}:4`]);
  });
});
