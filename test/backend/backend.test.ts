// The backend on hand-built IR functions: values computed by the compiled code (run on the
// test BPF machine, which rejects reads of unwritten or call-clobbered registers and of
// unwritten stack) against the IR run directly and against known answers; instruction
// sequences where the shape is the point (immediates, fallthrough, CO-RE, listings).

import { describe, expect, it } from "vitest";
import { BackendError, compileFunction } from "../../compiler/backend/index.js";
import { fitsS32 } from "../../compiler/backend/imm.js";
import { reuseConstants } from "../../compiler/backend/known-constants.js";
import { Asm, R0, R1, R2, printInst, type MFunction } from "../../compiler/backend/mir.js";
import { compare32 } from "../../compiler/backend/narrow.js";
import type { CpuVersion } from "../../compiler/bpf/cpu.js";
import { formatInsn } from "../../compiler/bpf/disasm.js";
import { ALU, CLS, JMP, type Insn } from "../../compiler/bpf/insn.js";
import type { AluOp, CmpOp, IrFunction, Operand, VReg } from "../../compiler/ir/ir.js";
import type { StructType } from "../../compiler/types/ctype.js";
import { ctxOf, makeEnv, runBoth } from "./support/env.js";
import { FnBuilder, countedLoop, imm } from "./support/ir.js";
import { runBpf, s64, u64, type HelperCall } from "./support/machine.js";

const text = (insns: Insn[]): string[] => insns.map(formatInsn);

/** Helper calls with the stack-address argument of map lookups left out (it differs by design). */
const calls = (cs: HelperCall[]): HelperCall[] => cs.map((c) => (c.id === 1 ? { id: 1, args: [c.args[0]!] } : c));

function check(ir: IrFunction, ctxs: Uint8Array[], cpu: CpuVersion = "v3"): ReturnType<typeof compileFunction> {
  const mc = compileFunction(ir, { cpu });
  for (const t of text(mc.insns)) expect(t).not.toBe("<unknown>");
  for (const c of ctxs) {
    const r = runBoth(ir, mc, c);
    expect(u64(r.bpf.r0)).toBe(u64(r.ir.r0));
    expect(calls(r.bpf.calls)).toEqual(calls(r.ir.calls));
  }
  return mc;
}

function run(ir: IrFunction, ...ctx: bigint[]): bigint {
  return runBpf(compileFunction(ir), makeEnv(ctxOf(...ctx))).r0;
}

/** fn(x, y) = x op y, x and y loaded from ctx (or y an immediate). */
function binary(op: AluOp, y?: bigint): IrFunction {
  const b = new FnBuilder();
  const x = b.load({ reg: b.ctx }, 0, 8);
  const yy = y === undefined ? b.load({ reg: b.ctx }, 8, 8) : imm(y);
  b.ret(b.alu(op, x, yy));
  return b.build();
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const SAMPLES = [0n, 1n, -1n, 2n, -2n, 7n, -7n, 13n, 255n, 256n, 1n << 31n, -(1n << 31n), (1n << 32n) + 5n, INT64_MIN, INT64_MAX, 0x123456789abcdefn];
const OPS: AluOp[] = ["add", "sub", "mul", "udiv", "umod", "sdiv", "smod", "and", "or", "xor", "lsh", "rsh", "arsh"];

describe("arithmetic", () => {
  it.each(OPS)("%s on registers matches the IR for edge values", (op) => {
    const ir = binary(op);
    const ctxs = SAMPLES.flatMap((x) => SAMPLES.map((y) => ctxOf(x, op.endsWith("sh") ? y & 63n : y)));
    check(ir, ctxs);
  });

  it.each(OPS)("%s with immediates matches the IR for edge values", (op) => {
    const imms = [...SAMPLES, 3n, 4n, 8n, 1n << 40n, 0xffffffffn, 0x7fffffffn, 63n];
    for (const y of imms) check(binary(op, op.endsWith("sh") ? y & 63n : y), SAMPLES.map((x) => ctxOf(x)));
  });

  it("signed division truncates toward zero, and x/0 = 0, x%0 = x", () => {
    const cases: [bigint, bigint, bigint, bigint][] = [
      [-7n, 2n, -3n, -1n], [7n, -2n, -3n, 1n], [-7n, -2n, 3n, -1n], [7n, 2n, 3n, 1n],
      [INT64_MIN, -1n, INT64_MIN, 0n], [INT64_MIN, 1n, INT64_MIN, 0n], [INT64_MIN, 2n, -(1n << 62n), 0n],
      [-9n, 0n, 0n, -9n], [9n, 0n, 0n, 9n], [INT64_MIN, INT64_MIN, 1n, 0n], [-1n, INT64_MIN, 0n, -1n],
    ];
    for (const [a, b, q, r] of cases) {
      expect(s64(run(binary("sdiv"), a, b)), `${a} / ${b}`).toBe(q);
      expect(s64(run(binary("smod"), a, b)), `${a} % ${b}`).toBe(r);
      expect(s64(run(binary("sdiv", b), a)), `${a} / imm ${b}`).toBe(q);
      expect(s64(run(binary("smod", b), a)), `${a} % imm ${b}`).toBe(r);
    }
  });

  it("expands signed division with unsigned divides and remainders only (no CPU v4)", () => {
    for (const op of ["sdiv", "smod", "umod"] as const) {
      for (const mc of [compileFunction(binary(op)), compileFunction(binary(op, -7n))]) {
        for (const i of mc.insns) {
          const isAlu = (i.code & 7) === CLS.ALU64 || (i.code & 7) === CLS.ALU;
          if (isAlu) expect(((i.code & 0xf0) === ALU.MOD || (i.code & 0xf0) === ALU.DIV) && i.off !== 0).toBe(false);
        }
        expect(text(mc.insns).join("\n")).not.toMatch(/<unknown>/);
      }
    }
  });

  it.each(["sdiv", "smod"] as const)("%s is one instruction with CPU v4, and matches the IR", (op) => {
    const ctxs = SAMPLES.flatMap((x) => SAMPLES.map((y) => ctxOf(x, y)));
    const mc = check(binary(op), ctxs, "v4");
    expect(text(mc.insns)).toEqual(["r0 = *(u64 *)(r1 + 0)", "r1 = *(u64 *)(r1 + 8)", `r0 s${op === "sdiv" ? "/" : "%"}= r1`, "exit"]);
    for (const y of [...SAMPLES, 3n, 1n << 40n]) {
      const t = text(check(binary(op, y), SAMPLES.map((x) => ctxOf(x)), "v4").insns);
      if (fitsS32(y) && y !== 0n && y !== 1n && y !== -1n) expect(t).toContain(`r0 s${op === "sdiv" ? "/" : "%"}= ${y}`);
    }
  });

  it("uses an ALU immediate when it fits s32 and ld_imm64 otherwise", () => {
    expect(text(compileFunction(binary("add", 5n)).insns)).toEqual(["r0 = *(u64 *)(r1 + 0)", "r0 += 5", "exit"]);
    expect(text(compileFunction(binary("add", -2147483648n)).insns)).toContain("r0 += -2147483648");
    const big = text(compileFunction(binary("add", 1n << 33n)).insns);
    expect(big).toContain("r1 = 8589934592 ll");
    expect(big.some((t) => /^r\d \+= r\d$/.test(t))).toBe(true);
  });

  it("turns division and modulo by powers of two into shifts and masks", () => {
    expect(text(compileFunction(binary("udiv", 8n)).insns)).toContain("r0 >>= 3");
    expect(text(compileFunction(binary("umod", 8n)).insns)).toContain("r0 &= 7");
    expect(text(compileFunction(binary("umod", 7n)).insns)).toContain("r0 %= 7");
  });

  it("folds a const register into the immediate of its users", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const c = b.const(40);
    const s = b.alu("add", c, x); // constant on the left of a commutative op
    const lt = b.reg();
    b.ins({ op: "setcc", dst: lt, cmp: "ult", a: c, b: s });
    b.ret(b.alu("add", s, lt));
    const t = text(compileFunction(b.build()).insns);
    expect(t.some((l) => /^r\d \+= 40$/.test(l))).toBe(true);
    expect(t.some((l) => /^if r\d > 40 goto/.test(l))).toBe(true);
    expect(t.filter((l) => / = 40$/.test(l))).toEqual([]);
    check(b.build(), [ctxOf(1n), ctxOf(-41n), ctxOf(-40n)]);
  });

  it("extends 8/16/32-bit values with and, w = w, and lsh/arsh", () => {
    for (const bits of [8, 16, 32] as const) {
      for (const signed of [false, true]) {
        const b = new FnBuilder();
        const x = b.load({ reg: b.ctx }, 0, 8);
        const d = b.reg();
        b.ins({ op: "ext", dst: d, src: x, bits, signed });
        b.ret(d);
        const ir = b.build();
        const t = text(compileFunction(ir).insns);
        if (signed) expect(t).toEqual(["r0 = *(u64 *)(r1 + 0)", `r0 <<= ${64 - bits}`, `r0 s>>= ${64 - bits}`, "exit"]);
        else if (bits === 32) expect(t.join(";")).toMatch(/^r(\d) = \*\(u64 \*\)\(r1 \+ 0\);w0 = w\1;exit$/);
        else expect(t).toEqual(["r0 = *(u64 *)(r1 + 0)", `r0 &= ${bits === 8 ? 255 : 65535}`, "exit"]);
        check(ir, [ctxOf(-5n), ctxOf(0x1234_5678_9abc_def0n), ctxOf(0x80n), ctxOf(0x8000n), ctxOf(0x8000_0000n)]);
      }
    }
  });

  it("extends with one movsx with CPU v4, and a load read only by its sign extension is a sign-extending load", () => {
    for (const bits of [8, 16, 32] as const) {
      const b = new FnBuilder();
      const x = b.load({ reg: b.ctx }, 0, 8);
      const d = b.reg();
      b.ins({ op: "ext", dst: d, src: x, bits, signed: true });
      b.ret(d);
      const ctxs = [ctxOf(-5n), ctxOf(0x1234_5678_9abc_def0n), ctxOf(0x80n), ctxOf(0x8000n), ctxOf(0x8000_0000n)];
      expect(text(check(b.build(), ctxs, "v4").insns)).toEqual(["r1 = *(u64 *)(r1 + 0)", `r0 = (s${bits})r1`, "exit"]);

      const l = new FnBuilder();
      const y = l.load({ reg: l.ctx }, 0, (bits / 8) as 1 | 2 | 4);
      const e = l.reg();
      l.ins({ op: "ext", dst: e, src: y, bits, signed: true });
      l.ret(e);
      expect(text(check(l.build(), ctxs, "v4").insns)).toEqual([`r0 = *(s${bits} *)(r1 + 0)`, "exit"]);
    }
  });

  it("keeps a load zero-extending when another instruction reads it too (CPU v4)", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 4);
    const d = b.reg();
    b.ins({ op: "ext", dst: d, src: x, bits: 32, signed: true });
    b.ret(b.alu("add", d, x));
    const t = text(check(b.build(), [ctxOf(-5n), ctxOf(0x7fff_ffffn)], "v4").insns);
    expect(t[0]).toMatch(/= \*\(u32 \*\)\(r1 \+ 0\)$/);
    expect(t.some((l) => /= \(s32\)r\d$/.test(l))).toBe(true);
  });

  it("computes every comparison with setcc, including set (a & b) != 0", () => {
    const cmps: CmpOp[] = ["eq", "ne", "set", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle"];
    for (const cmp of cmps) {
      for (const withImm of [false, true]) {
        const b = new FnBuilder();
        const x = b.load({ reg: b.ctx }, 0, 8);
        const y = withImm ? imm(-2) : b.load({ reg: b.ctx }, 8, 8);
        b.ret(b.setcc(cmp, x, y));
        check(b.build(), SAMPLES.slice(0, 8).flatMap((p) => [ctxOf(p, -2n), ctxOf(p, 7n), ctxOf(p, p)]));
      }
    }
  });

  it("keeps a setcc result apart from its operands (x = x < y)", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const y = b.load({ reg: b.ctx }, 8, 8);
    b.ins({ op: "setcc", dst: x, cmp: "slt", a: x, b: y });
    b.ret(b.alu("add", x, y));
    check(b.build(), [ctxOf(1n, 2n), ctxOf(3n, 2n), ctxOf(-3n, 2n)]);
  });
});

describe("calls", () => {
  it("passes arguments from scrambled registers with a parallel copy (a swap through r0)", () => {
    const b = new FnBuilder();
    const q = b.load({ reg: b.ctx }, 8, 8);
    const p = b.load({ reg: b.ctx }, 0, 8);
    b.hints.set(p, 1);
    b.hints.set(q, 2);
    const r = b.call(102, [q, p])!;
    b.ret(r);
    const ir = b.build();
    const mc = check(ir, [ctxOf(11n, 22n)]);
    expect(text(mc.insns)).toEqual([
      "r2 = *(u64 *)(r1 + 8)",
      "r1 = *(u64 *)(r1 + 0)",
      "r0 = r1",
      "r1 = r2",
      "r2 = r0",
      "call 102",
      "exit",
    ]);
  });

  it("moves hinted parameters into argument registers in any order", () => {
    const b = new FnBuilder();
    const ps = [0, 1, 2, 3].map((k) => {
      const p = b.load({ reg: b.ctx }, 8 * k, 8);
      b.hints.set(p, 2 + k);
      return p;
    });
    const r = b.call(105, [ps[3]!, ps[2]!, ps[0]!, ps[1]!, imm(1n << 40n)])!;
    b.ret(r);
    const mc = check(b.build(), [ctxOf(1n, 2n, 3n, 4n)]);
    const t = text(mc.insns);
    expect(t.slice(0, 4)).toEqual(["r2 = *(u64 *)(r1 + 0)", "r3 = *(u64 *)(r1 + 8)", "r4 = *(u64 *)(r1 + 16)", "r5 = *(u64 *)(r1 + 24)"]);
    expect(t).toContain("r5 = 1099511627776 ll");
    expect(t.length).toBeLessThanOrEqual(4 + 6 + 1 + 1 + 1);
  });

  it("keeps values live across calls in r6-r9 and reads the result from r0", () => {
    const b = new FnBuilder();
    const vs = [0, 1, 2].map((k) => b.load({ reg: b.ctx }, 8 * k, 8));
    const t1 = b.call(5, [])!;
    const t2 = b.call(101, [vs[0]!])!;
    let acc = b.alu("sub", t2, t1);
    for (const v of vs) acc = b.alu("xor", acc, v);
    b.ret(acc);
    const mc = check(b.build(), [ctxOf(5n, 6n, 7n, 8n)]);
    expect(mc.stackSize).toBe(0);
  });

  it("spills values live across a call when r6-r9 run out, to aligned 8-byte slots", () => {
    const b = new FnBuilder();
    const vs = Array.from({ length: 9 }, (_, k) => b.load({ reg: b.ctx }, 8 * k, 8));
    const t = b.call(5, [])!;
    let acc = t;
    for (const v of vs) acc = b.alu("mul", b.alu("add", acc, v), imm(3));
    b.ret(acc);
    const mc = check(b.build(), [ctxOf(1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n)]);
    expect(mc.stackSize).toBeGreaterThanOrEqual(40);
    expect(mc.stackSize % 8).toBe(0);
    const stackOps = mc.insns.filter((i) => (i.code === 0x7b && i.dst === 10) || (i.code === 0x79 && i.src === 10));
    expect(stackOps.length).toBeGreaterThanOrEqual(10);
    for (const i of stackOps) expect(Math.abs(i.off % 8)).toBe(0);
  });

  it("recomputes a map's address at each use (ld_imm64) when r6-r9 are taken, never spilling it", () => {
    const b = new FnBuilder();
    const vs = Array.from({ length: 4 }, (_, k) => b.load({ reg: b.ctx }, 8 * k, 8));
    const map = b.mapref("seen");
    const key = b.slot(8);
    b.store({ slot: key }, 0, 8, imm(1));
    for (let k = 0; k < 3; k++) b.call(1, [map, b.addr(key)]);
    // Each value read more often than the address: the address is the cheaper to give up.
    let acc = b.const(0);
    for (let k = 0; k < 5; k++) for (const v of vs) acc = b.alu(k % 2 ? "xor" : "add", acc, v);
    b.ret(acc);
    const mc = check(b.build(), [ctxOf(1n, 2n, 3n, 4n)]);
    expect(mc.relocs.map((r) => r.symbol)).toEqual(["seen", "seen", "seen"]);
    expect(mc.stackSize).toBe(8); // the key only
  });

  it("keeps a map's address in a free callee-saved register across calls", () => {
    const b = new FnBuilder();
    const map = b.mapref("seen");
    const key = b.slot(8);
    b.store({ slot: key }, 0, 8, imm(1));
    for (let k = 0; k < 3; k++) b.call(1, [map, b.addr(key)]);
    b.ret(imm(0));
    const mc = check(b.build(), [ctxOf()]);
    expect(mc.relocs).toHaveLength(1);
    expect(text(mc.insns).filter((t) => t === "r1 = r6")).toHaveLength(3);
  });

  it("spills under register pressure without calls", () => {
    const b = new FnBuilder();
    const vs = Array.from({ length: 16 }, (_, k) => b.load({ reg: b.ctx }, 8 * k, 8));
    const ws = vs.map((v, k) => b.alu("add", v, vs[(k + 5) % 16]!));
    let acc = b.const(0);
    for (const [k, w] of ws.entries()) acc = b.alu(k % 2 ? "xor" : "add", acc, b.alu("mul", w, vs[k]!));
    b.ret(acc);
    const mc = check(b.build(), [ctxOf(...Array.from({ length: 16 }, (_, k) => BigInt(k * 7919 + 1)))]);
    expect(mc.stackSize).toBeGreaterThan(0);
  });

  it("rejects more than five arguments", () => {
    const b = new FnBuilder();
    b.call(105, [imm(1), imm(2), imm(3), imm(4), imm(5), imm(6)]);
    expect(() => compileFunction(b.build())).toThrow(BackendError);
  });
});

describe("compares as values (branch-free-compares.ts)", () => {
  const CMPS: CmpOp[] = ["ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle", "eq"];
  /** setcc of ctx[0] made a 32-bit value by `ext` (or loaded as 4 bytes), against c. */
  function compareOf(cmp: CmpOp, c: bigint, make: "zext32" | "sext32" | "load32" | "none"): IrFunction {
    const b = new FnBuilder();
    let x: number;
    if (make === "load32") x = b.load({ reg: b.ctx }, 0, 4);
    else {
      const raw = b.load({ reg: b.ctx }, 0, 8);
      x = raw;
      if (make !== "none") { x = b.reg(); b.ins({ op: "ext", dst: x, src: raw, bits: 32, signed: make === "sext32" }); }
    }
    const d = b.setcc(cmp, x, imm(c));
    b.ret(b.alu("add", d, x));
    return b.build();
  }
  const VALUES = [0n, 1n, 2n, 99n, 100n, 101n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, -1n, -100n, -(1n << 31n), 1n << 40n, -(1n << 40n)];
  const IMMS = [0n, 1n, -1n, 100n, -100n, 0x7fff_fffen, 0x7fff_ffffn, -(1n << 31n), -(1n << 31n) + 1n];

  it("match the IR on edge values, with no branch where the value is known to be 32-bit", () => {
    for (const make of ["zext32", "sext32", "load32", "none"] as const) {
      for (const cmp of CMPS) {
        for (const c of IMMS) {
          const ir = compareOf(cmp, c, make);
          const mc = check(ir, VALUES.map((v) => ctxOf(v)));
          const branches = text(mc.insns).filter((t) => t.startsWith("if ")).length;
          const known = make !== "none" && cmp !== "eq" && (make !== "sext32" || cmp.startsWith("s"));
          // c - 1 or c + 1 out of s32, or an unsigned compare with a negative c: a branch.
          const adjusted = cmp.endsWith("ge") ? c - 1n : cmp.endsWith("le") ? c + 1n : c;
          const fits = adjusted >= -(1n << 31n) && adjusted < 1n << 31n && !(cmp.startsWith("u") && (c < 0n || adjusted < 0n));
          expect(branches, `${make} ${cmp} ${c}`).toBe(known && fits ? 0 : 1);
        }
      }
    }
  });

  it("a zero-extended 32-bit value compares with an immediate as BPF_JMP32 (`uid !== 0xffffffff`: no ld_imm64)", () => {
    for (const c of [0xffff_ffffn, 0x8000_0000n]) {
      const b = new FnBuilder();
      const x = b.load({ reg: b.ctx }, 0, 4);
      const [yes, no] = [b.label(), b.label()];
      b.br("ne", x, imm(c), yes, no);
      b.at(yes).ret(imm(1));
      b.at(no).ret(imm(2));
      const ir = b.build();
      const mc = check(ir, [ctxOf(c), ctxOf(c + 1n), ctxOf(0n), ctxOf(c | (5n << 32n))]);
      const t = text(mc.insns);
      expect(t.some((l) => / ll$/.test(l)), `${c}`).toBe(false);
      expect(t.some((l) => /^if w\d [!=]= /.test(l)), `${c}`).toBe(true);
    }
  });

  it("`c s> a` is c - a's sign: three ALU instructions", () => {
    const mc = compileFunction(compareOf("sgt", 65535n, "zext32"));
    expect(text(mc.insns).join("\n")).toMatch(/= 65535\n.*-= .*\n.*>>= 63/);
  });
});

describe("extensions left out (narrow.ts)", () => {
  it("an extension of an extension only narrow stores read: stored from a register that was written", () => {
    // `const t: i32 = tid()`: zext32 then sext32, the result only stored as 32 bits.
    for (const [bits, size] of [[32, 4], [16, 2]] as const) {
      const b = new FnBuilder();
      const raw = b.load({ reg: b.ctx }, 0, 8);
      const z = b.reg(), s = b.reg();
      b.ins({ op: "ext", dst: z, src: raw, bits: 32, signed: false });
      b.ins({ op: "ext", dst: s, src: z, bits, signed: true });
      const slot = b.slot(8);
      b.store({ slot }, 0, 8, imm(0));
      b.store({ slot }, 0, size, s);
      b.ret(b.load({ slot }, 0, 8));
      check(b.build(), [ctxOf(0x1_8000_1234n), ctxOf(-1n), ctxOf(5n)]);
    }
  });
});

describe("32-bit compares (jmp32)", () => {
  const CMPS: CmpOp[] = ["eq", "ne", "set", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle"];
  const holds = (cmp: CmpOp, a: bigint, b: bigint, bits: 32 | 64): boolean => {
    const ua = BigInt.asUintN(bits, a), ub = BigInt.asUintN(bits, b);
    const sa = BigInt.asIntN(bits, a), sb = BigInt.asIntN(bits, b);
    switch (cmp) {
      case "eq": return ua === ub; case "ne": return ua !== ub; case "set": return (ua & ub) !== 0n;
      case "ugt": return ua > ub; case "uge": return ua >= ub; case "ult": return ua < ub; case "ule": return ua <= ub;
      case "sgt": return sa > sb; case "sge": return sa >= sb; case "slt": return sa < sb; case "sle": return sa <= sb;
    }
  };
  const ext = (v: bigint, signed: boolean): bigint => (signed ? BigInt.asIntN(32, v) : BigInt.asUintN(32, v));
  const VALUES = [0n, 1n, 2n, 5n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_fffen, 0xffff_ffffn, 0x1_0000_0005n, -1n, -(1n << 40n), 1n << 63n];
  const IMMS = [0n, 1n, -1n, 5n, -5n, 0x7fff_ffffn, 0x8000_0000n, -(1n << 31n), -(1n << 31n) - 1n, 0xffff_ffffn, 1n << 32n, -(1n << 40n)];

  it("compare32 answers only where the 32-bit compare of the sources agrees with the 64-bit one of the extensions", () => {
    for (const signed of [false, true]) {
      const narrow = new Map([[1, { src: 3, bits: 32 as const, signed }], [2, { src: 4, bits: 32 as const, signed }]]);
      for (const cmp of CMPS) {
        for (const c of IMMS) {
          const n = compare32(cmp, 1, imm(c), narrow);
          if (!n) continue;
          const k = (n.b as { imm: bigint }).imm;
          for (const x of VALUES) expect(holds(n.cmp, x, k, 32), `${signed ? "s" : "z"}ext32(${x}) ${cmp} ${c}`).toBe(holds(cmp, ext(x, signed), c, 64));
        }
        const n = compare32(cmp, 1, 2, narrow)!;
        expect(n.a === 3 && n.b === 4).toBe(true);
        for (const x of VALUES) for (const y of VALUES) expect(holds(n.cmp, x, y, 32)).toBe(holds(cmp, ext(x, signed), ext(y, signed), 64));
      }
      // The immediates every signed, unsigned and equality compare takes.
      for (const cmp of ["eq", "slt", "ult"] as const) for (const c of [0n, 1n, 0x7fff_ffffn]) expect(compare32(cmp, 1, imm(c), narrow)).toBeDefined();
    }
    expect(compare32("eq", 1, 2, new Map([[1, { src: 3, bits: 32, signed: true }], [2, { src: 4, bits: 32, signed: false }]]))).toBeUndefined();
  });

  it("a value whose upper half is zero by its definition pairs with a zero-extension: `uid() !== setting` as BPF_JMP32, the extension left out", () => {
    for (const cmp of CMPS) {
      // x: a 64-bit value zero-extended (the extension goes); y: a 32-bit load, a
      // rsh by 32, an and with a 32-bit mask, each zero above bit 31 by itself.
      for (const form of ["load", "rsh", "and"] as const) {
        const b = new FnBuilder();
        const raw = b.load({ reg: b.ctx }, 8, 8);
        const x = b.reg();
        b.ins({ op: "ext", dst: x, src: raw, bits: 32, signed: false });
        const w = b.load({ reg: b.ctx }, 0, form === "load" ? 4 : 8);
        const y = form === "load" ? w : form === "rsh" ? b.aluImm("rsh", w, 32) : b.aluImm("and", w, 0xffff_fff0);
        const [yes, no] = [b.label(), b.label()];
        b.br(cmp, x, y, yes, no);
        b.at(yes).ret(imm(1));
        b.at(no).ret(imm(2));
        const ctxs = VALUES.flatMap((v) => VALUES.map((u) => ctxOf(v, u)));
        const t = text(check(b.build(), ctxs).insns);
        expect(t.some((l) => /^if w\d /.test(l)), `${cmp} ${form}`).toBe(true);
        expect(t.filter((l) => /^w\d = w\d$/.test(l)), `${cmp} ${form}`).toEqual([]);
      }
    }
  });

  it("a sign-extended i32 setting compares with pid() or tid() as BPF_JMP32: their halves are pid_t, never negative", () => {
    for (const cmp of CMPS) {
      for (const half of ["pid", "tid"] as const) {
        const b = new FnBuilder();
        const raw = b.load({ reg: b.ctx }, 0, 8);
        const x = b.reg();
        b.ins({ op: "ext", dst: x, src: raw, bits: 32, signed: true });
        const id = b.call(14, [])!;
        let y = b.reg();
        if (half === "pid") y = b.aluImm("rsh", id, 32);
        else b.ins({ op: "ext", dst: y, src: id, bits: 32, signed: false });
        const [yes, no] = [b.label(), b.label()];
        b.br(cmp, x, y, yes, no);
        b.at(yes).ret(imm(1));
        b.at(no).ret(imm(2));
        const t = text(check(b.build(), [...VALUES, 1234n, 4321n, 1234n - (1n << 32n)].map((v) => ctxOf(v))).insns);
        expect(t.some((l) => /^if w\d /.test(l)), `${cmp} ${half}`).toBe(true);
        expect(t.some((l) => /s>>= 32$/.test(l)), `${cmp} ${half}`).toBe(false);
      }
    }
  });

  it("an extension in a later block of a value read once before it, outside any loop, compares as BPF_JMP32: a setting tested, then compared with pid()", () => {
    const b = new FnBuilder();
    const raw = b.load({ reg: b.ctx }, 0, 4);
    const [test, yes, no] = [b.label(), b.label(), b.label()];
    b.br("eq", raw, imm(0), no, test);
    b.at(test);
    const x = b.reg();
    b.ins({ op: "ext", dst: x, src: raw, bits: 32, signed: true });
    const pid = b.aluImm("rsh", b.call(14, [])!, 32);
    b.br("ne", x, pid, yes, no);
    b.at(yes).ret(imm(1));
    b.at(no).ret(imm(2));
    const t = text(check(b.build(), [...VALUES, 1234n, 4321n].map((v) => ctxOf(v))).insns);
    expect(t, t.join("\n")).toContainEqual(expect.stringMatching(/^if w\d [!=]= w\d/));
    expect(t.some((l) => /s>>= 32$/.test(l))).toBe(false);
  });

  /** x = ext32(ctx[0]); if x cmp c then store32 x (in another block) and return 1, else 2. */
  function branchOnExtension(signed: boolean, cmp: CmpOp, c: bigint, also?: (b: FnBuilder, x: number) => void): IrFunction {
    const b = new FnBuilder();
    const raw = b.load({ reg: b.ctx }, 0, 8);
    const x = b.reg();
    b.ins({ op: "ext", dst: x, src: raw, bits: 32, signed });
    const yes = b.label(), no = b.label();
    b.br(cmp, x, imm(c), yes, no);
    b.at(yes);
    const s = b.slot(8);
    b.store({ slot: s }, 0, 8, imm(0));
    b.store({ slot: s }, 0, 4, x);
    also?.(b, x);
    b.ret(b.alu("add", b.load({ slot: s }, 0, 8), imm(1)));
    b.at(no).ret(imm(2));
    return b.build();
  }

  it("branches on the low half of an extension's source and stores it, leaving the extension out", () => {
    const ctxs = VALUES.map((v) => ctxOf(v));
    const signed = text(check(branchOnExtension(true, "slt", 1n), ctxs).insns);
    expect(signed.some((l) => /^if w\d s>= 1 goto/.test(l))).toBe(true);
    expect(signed.join("\n")).not.toMatch(/<<= 32|s>>= 32/);
    const unsigned = text(check(branchOnExtension(false, "ugt", 0xffff_fff0n), ctxs).insns);
    expect(unsigned.some((l) => /^if w\d [<>]=? -16 goto/.test(l))).toBe(true);
    expect(unsigned.join("\n")).not.toMatch(/w\d = w\d/);
    check(branchOnExtension(false, "slt", 7n), ctxs);
    check(branchOnExtension(true, "set", 0x8000n), ctxs);
  });

  it("leaves out a chain of extensions whose last reader stores the low bits of the first's source", () => {
    // `((x as i16) as u16) as u8` stored narrow: every extension can go, the store reads x.
    // Found by the differential fuzzer: the store read the middle extension, never written.
    const WIDTHS = [8, 16, 32] as const;
    for (const first of WIDTHS) for (const second of WIDTHS) for (const third of WIDTHS) {
      for (const signed of [false, true]) {
        const b = new FnBuilder();
        let v = b.load({ reg: b.ctx }, 0, 8);
        for (const [k, bits] of [first, second, third].entries()) {
          const d = b.reg();
          b.ins({ op: "ext", dst: d, src: v, bits, signed: signed !== (k === 1) });
          v = d;
        }
        const s = b.slot(8);
        b.store({ slot: s }, 0, 8, imm(0));
        b.store({ slot: s }, 0, 1, v);
        b.ret(b.load({ slot: s }, 0, 8));
        check(b.build(), VALUES.map((x) => ctxOf(x)));
      }
    }
  });

  it("extends where a reader needs all 64 bits, or the immediate is out of the 32-bit range", () => {
    const ctxs = VALUES.map((v) => ctxOf(v));
    const wide = text(check(branchOnExtension(true, "slt", 1n, (b, x) => b.store({ slot: b.slot(8) }, 0, 8, x)), ctxs).insns);
    expect(wide.join("\n")).toMatch(/<<= 32/);
    expect(wide.some((l) => l.startsWith("if w"))).toBe(false);
    const far = text(check(branchOnExtension(true, "slt", 1n << 40n), ctxs).insns);
    expect(far.some((l) => l.startsWith("if w"))).toBe(false);
  });
});

describe("control flow", () => {
  it("runs a loop with a back edge (sum of 0..n-1)", () => {
    const b = new FnBuilder();
    const n = b.load({ reg: b.ctx }, 0, 8);
    const i = b.const(0), s = b.const(0);
    const head = b.label(), body = b.label(), done = b.label();
    b.jmp(head);
    b.at(head).br("ult", i, n, body, done);
    b.at(body);
    b.ins({ op: "alu", alu: "add", dst: s, a: s, b: i });
    b.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) });
    b.jmp(head);
    b.at(done).ret(s);
    const ir = b.build();
    check(ir, [ctxOf(0n), ctxOf(1n), ctxOf(10n), ctxOf(100n)]);
    expect(run(ir, 100n)).toBe(4950n);
    const t = text(compileFunction(ir).insns);
    expect(t).not.toContain("goto +0");
    expect(t.filter((l) => l.startsWith("goto"))).toHaveLength(1);
  });

  it("keeps loop state across a helper call inside the loop", () => {
    const b = new FnBuilder();
    const n = b.load({ reg: b.ctx }, 0, 8);
    const i = b.const(0), s = b.const(0);
    const head = b.label(), body = b.label(), done = b.label();
    b.jmp(head);
    b.at(head).br("slt", i, n, body, done);
    b.at(body);
    const h = b.call(102, [i, s])!;
    b.ins({ op: "alu", alu: "xor", dst: s, a: s, b: h });
    b.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) });
    b.jmp(head);
    b.at(done).ret(s);
    check(b.build(), [ctxOf(0n), ctxOf(3n), ctxOf(20n)]);
  });

  it("copies ctx out of r1 once when the entry block is a loop header", () => {
    const b = new FnBuilder();
    const t = b.call(5, [])!; // the clock: 2000, 3000, ...
    const limit = b.load({ reg: b.ctx }, 0, 8); // ctx is read on every iteration
    const out = b.label();
    b.br("ult", t, limit, 0, out);
    b.at(out).ret(t);
    const ir = b.build();
    check(ir, [ctxOf(5000n), ctxOf(0n)]);
    expect(run(ir, 5000n)).toBe(5000n);
  });

  it("places the fallthrough successor without jumps and inverts branches for it", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const then = b.label(), els = b.label();
    b.br("sgt", x, imm(10), then, els);
    b.at(then).ret(imm(1));
    b.at(els).ret(imm(2));
    expect(text(compileFunction(b.build()).insns)).toEqual([
      "r1 = *(u64 *)(r1 + 0)",
      "if r1 s<= 10 goto +2",
      "r0 = 1",
      "exit",
      "r0 = 2",
      "exit",
    ]);
  });

  it("fuses a setcc read only by the next branch into the branch", () => {
    for (const [cmp, k] of [["ne", 0n], ["eq", 0n], ["eq", 1n], ["ne", 1n]] as const) {
      const b = new FnBuilder();
      const x = b.load({ reg: b.ctx }, 0, 8);
      const c = b.setcc("set", x, imm(4));
      const yes = b.label(), no = b.label();
      b.br(cmp, c, imm(k), yes, no);
      b.at(yes).ret(imm(1));
      b.at(no).ret(imm(2));
      const ir = b.build();
      const t = text(compileFunction(ir).insns);
      expect(t.some((l) => /^if r\d & 4 goto/.test(l))).toBe(true); // JSET on the loaded value
      // load, branch (and a goto where the block after it is the branch's target: JSET has
      // no inverse), two returns of two
      expect(t.length).toBeLessThanOrEqual(7);
      check(ir, [ctxOf(4n), ctxOf(3n)]);
    }
  });

  it("returns a constant through one shared exit: an early return branches to it", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const early = b.label(), work = b.label(), done = b.label(), other = b.label();
    b.br("slt", x, imm(1), early, work);
    b.at(early).ret(imm(0));
    b.at(work);
    b.call(101, [x], false);
    b.br("eq", x, imm(7), done, other);
    b.at(other);
    b.call(102, [x, x], false);
    b.ret(imm(0));
    b.at(done).ret(imm(0));
    const t = text(check(b.build(), [ctxOf(-1n), ctxOf(7n), ctxOf(9n)]).insns);
    expect(t.filter((l) => l === "exit")).toHaveLength(1);
    expect(t.filter((l) => l === "r0 = 0")).toHaveLength(1);
    expect(t[1]).toMatch(/^if r\d s< 1 goto/); // straight to the shared exit
  });

  it("does not load a register with a constant it holds on every path (a null check's zero too)", () => {
    const mf: MFunction = {
      name: "f", slots: [], nextReg: 16, hints: new Map(), spillTemps: new Set(),
      blocks: [
        { id: 0, insts: [Asm.movImm(R1, 1)], term: Asm.br(JMP.JEQ, R2, { imm: 3 }, 1, 2) },
        { id: 1, insts: [Asm.movImm(R1, 1), Asm.movImm(R2, 3), Asm.mov(R0, R2)], term: Asm.jmp(3) },
        { id: 2, insts: [Asm.movImm(R1, 2), Asm.call(5, 0), Asm.movImm(R1, 2)], term: Asm.jmp(3) },
        { id: 3, insts: [Asm.movImm(R1, 2), Asm.movImm(R2, 3)], term: Asm.exit() },
      ],
    };
    reuseConstants(mf);
    expect(mf.blocks.map((b) => b.insts.map(printInst))).toEqual([
      ["r1 = 1"],
      ["r0 = r2"], // r1 holds 1, r2 holds 3 where r2 == 3 branched here
      ["r1 = 2", "call 5", "r1 = 2"], // the call clobbers r1
      ["r1 = 2", "r2 = 3"], // r1 is 1 or 2 here, r2 unknown after the call
    ]);
  });

  it("branches on (a & b) == 0 and != 0 with JSET, the and left out", () => {
    for (const cmp of ["eq", "ne"] as const) {
      for (const mask of [imm(0x10), undefined]) {
        const b = new FnBuilder();
        const x = b.load({ reg: b.ctx }, 0, 8);
        const m = mask ?? b.load({ reg: b.ctx }, 8, 8);
        const yes = b.label(), no = b.label();
        b.br(cmp, b.alu("and", x, m), imm(0), yes, no);
        b.at(yes).ret(x);
        b.at(no).ret(imm(2));
        const t = text(check(b.build(), [ctxOf(0x10n, 0x10n), ctxOf(0x0fn, 0x10n), ctxOf(-1n, 0n), ctxOf(1n << 40n, 1n << 40n)]).insns);
        expect(t.some((l) => /^if r\d & (16|r\d) goto/.test(l)), t.join("\n")).toBe(true);
        expect(t.some((l) => / &= /.test(l))).toBe(false);
      }
    }
  });

  it("reports a jump to a missing block as an 'ir' BackendError", () => {
    const b = new FnBuilder();
    b.jmp(42);
    let err: unknown;
    try { compileFunction(b.build()); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("ir");
  });

  it("threads jumps through empty blocks", () => {
    const b = new FnBuilder();
    const x = b.load({ reg: b.ctx }, 0, 8);
    const a = b.label(), c = b.label(), d = b.label();
    b.br("eq", x, imm(0), a, d);
    b.at(a).jmp(c);
    b.at(d).ret(imm(7));
    b.at(c).ret(x);
    const t = text(compileFunction(b.build()).insns);
    expect(t.filter((l) => l.startsWith("goto"))).toEqual([]);
    check(b.build(), [ctxOf(0n), ctxOf(3n)]);
  });
});

describe("maps, stack and relocations", () => {
  function lookup(): IrFunction {
    const b = new FnBuilder("count");
    b.loc = { line: 3, col: 3 };
    const key = b.slot(8, 8, "key");
    const pid = b.call(5, [])!;
    const k = b.alu("and", pid, imm(7));
    b.store({ slot: key }, 0, 8, k);
    b.loc = { line: 4, col: 13 };
    const m = b.mapref("seen");
    const kp = b.addr(key);
    const v = b.call(1, [m, kp])!;
    const none = b.label(), some = b.label();
    b.br("eq", v, imm(0), none, some);
    b.loc = { line: 5, col: 5 };
    b.at(some);
    const one = b.const(1);
    b.ins({ op: "atomic_add", base: { reg: v }, off: 0, size: 8, src: one });
    const cur = b.load({ reg: v }, 0, 8);
    b.ret(cur);
    b.loc = { line: 6, col: 3 };
    b.at(none).ret(imm(0));
    return b.build();
  }

  it("compiles a map lookup with the null check on the register holding the result", () => {
    const mc = compileFunction(lookup());
    expect(text(mc.insns)).toEqual([
      "call 5",
      "r0 &= 7",
      "*(u64 *)(r10 - 8) = r0",
      "r1 = 0 ll",
      "r2 = r10",
      "r2 += -8",
      "call 1",
      "if r0 != 0 goto +1",
      "exit", // r0 is 0 here: the null check says so
      "r1 = 1",
      "lock *(u64 *)(r0 + 0) += r1",
      "r0 = *(u64 *)(r0 + 0)",
      "exit",
    ]);
    expect(mc.relocs).toEqual([{ insn: 3, kind: "map", symbol: "seen" }]);
    expect(mc.stackSize).toBe(8);
    expect(mc.lines).toEqual([
      { insn: 0, line: 3, col: 3 },
      { insn: 3, line: 4, col: 13 },
      { insn: 8, line: 6, col: 3 },
      { insn: 9, line: 5, col: 5 },
    ]);
    const r = runBpf(mc, makeEnv(ctxOf(0n)));
    expect(r.r0).toBe(1n);
  });

  it("reports a CO-RE relocated offset as one ALU-immediate instruction", () => {
    const task: StructType = { kind: "struct", name: "task_struct", fields: [], size: 8, align: 8 };
    const b = new FnBuilder();
    const p = b.load({ reg: b.ctx }, 0, 8);
    const a = b.reg();
    b.ins({ op: "alu", alu: "add", dst: a, a: p, b: imm(0), core: { root: task, field: "pid", kind: 0 } });
    b.ret(a);
    const mc = compileFunction(b.build());
    expect(mc.coreRelos).toHaveLength(1);
    const at = mc.coreRelos[0]!;
    expect(at.tag.root).toBe(task);
    expect(formatInsn(mc.insns[at.insn]!)).toBe("r0 += 0");
  });

  it("lays out slots below r10 at their alignment and reports the frame size", () => {
    const b = new FnBuilder();
    const s1 = b.slot(1, 1), s8 = b.slot(16, 8), s4 = b.slot(4, 4);
    b.store({ slot: s1 }, 0, 1, imm(1));
    b.store({ slot: s8 }, 8, 8, imm(2));
    b.store({ slot: s4 }, 0, 4, imm(3));
    const x = b.load({ slot: s1 }, 0, 1), y = b.load({ slot: s8 }, 8, 8), z = b.load({ slot: s4 }, 0, 4);
    b.ret(b.alu("add", b.alu("add", x, y), z));
    const ir = b.build();
    const mc = check(ir, [ctxOf(0n)]);
    expect(mc.stackSize).toBe(24);
    const offs = mc.insns.filter((i) => i.code === 0x7b || i.code === 0x63 || i.code === 0x73).map((i) => i.off);
    // In order of first use, each at the lowest place its alignment allows.
    expect(offs).toEqual([-1, -16, -8]);
  });

  it("lets slots share bytes when they are not in use at the same time", () => {
    const b = new FnBuilder();
    const keys = [b.slot(8), b.slot(8), b.slot(8)];
    let sum: Operand = imm(0n);
    for (const [k, s] of keys.entries()) {
      b.store({ slot: s }, 0, 8, imm(BigInt(k + 1)));
      b.call(1, [b.mapref("seen"), b.addr(s)], false); // a helper reads the slot through its address
      sum = b.alu("add", b.load({ slot: s }, 0, 8), sum);
    }
    b.ret(sum);
    const mc = check(b.build(), [ctxOf(0n)]);
    expect(mc.stackSize).toBe(8);
    expect(run(b.build())).toBe(6n);
  });

  /** A loop of `trips` iterations on i whose body is `body(b, i, acc)`, after
   *  `prepare(b)`; the function returns acc. */
  function loop(prepare: (b: FnBuilder) => void, body: (b: FnBuilder, i: VReg, acc: VReg) => void, trips = 4n): IrFunction {
    const b = new FnBuilder();
    prepare(b);
    b.ret(countedLoop(b, (i, acc) => body(b, i, acc), { trips }));
    return b.build();
  }
  const addTo = (b: FnBuilder, acc: VReg, v: Operand): void => { b.ins({ op: "alu", alu: "add", dst: acc, a: acc, b: v }); };

  it("keeps a slot written before a loop and read in it apart from one used inside the loop", () => {
    let before = 0;
    const ir = loop((b) => { before = b.slot(8); b.store({ slot: before }, 0, 8, imm(40n)); }, (b, i, acc) => {
      const inside = b.slot(8);
      b.store({ slot: inside }, 0, 8, i);
      addTo(b, acc, b.load({ slot: inside }, 0, 8));
      addTo(b, acc, b.load({ slot: before }, 0, 8));
    }, 3n);
    expect(check(ir, [ctxOf(0n)]).stackSize).toBe(16);
    expect(run(ir)).toBe(0n + 1n + 2n + 3n * 40n);
  });

  it("lets the slots of two arms of a branch in a loop share bytes: each iteration writes them before it reads them", () => {
    const ir = loop(() => undefined, (b, i, acc) => {
      const [a, c] = [b.slot(8), b.slot(8)];
      const odd = b.label(), even = b.label(), join = b.label();
      b.br("ne", b.alu("and", i, imm(1n)), imm(0n), odd, even);
      b.at(odd);
      b.store({ slot: a }, 0, 8, i);
      b.call(1, [b.mapref("seen"), b.addr(a)], false);
      addTo(b, acc, b.load({ slot: a }, 0, 8));
      b.jmp(join);
      b.at(even);
      b.store({ slot: c }, 0, 8, b.alu("mul", i, imm(10n)));
      b.call(1, [b.mapref("seen"), b.addr(c)], false);
      addTo(b, acc, b.load({ slot: c }, 0, 8));
      b.jmp(join);
      b.at(join);
    });
    expect(check(ir, [ctxOf(0n)]).stackSize).toBe(8);
    expect(run(ir)).toBe(0n + 1n + 20n + 3n);
  });

  it("keeps a slot a loop reads before it writes (its value carried into the next iteration) apart from one the body uses", () => {
    let carried = 0;
    const ir = loop((b) => { carried = b.slot(8); b.store({ slot: carried }, 0, 8, imm(100n)); }, (b, i, acc) => {
      addTo(b, acc, b.load({ slot: carried }, 0, 8));
      b.store({ slot: carried }, 0, 8, i);
      // After the carried slot's last use in layout, before its next read.
      const inside = b.slot(8);
      b.store({ slot: inside }, 0, 8, b.alu("add", i, imm(1000n)));
      b.call(1, [b.mapref("seen"), b.addr(inside)], false);
      addTo(b, acc, b.load({ slot: inside }, 0, 8));
    });
    expect(check(ir, [ctxOf(0n)]).stackSize).toBe(16);
    expect(run(ir)).toBe(100n + 0n + 1n + 2n + 4000n + 6n);
  });

  it("counts a slot written in part each iteration as carried: the bytes left unwritten keep their value", () => {
    let wide = 0;
    const ir = loop((b) => { wide = b.slot(16); b.store({ slot: wide }, 0, 8, imm(0n)); b.store({ slot: wide }, 8, 8, imm(7n)); }, (b, i, acc) => {
      b.store({ slot: wide }, 0, 8, i);
      b.call(1, [b.mapref("seen"), b.addr(wide)], false);
      addTo(b, acc, b.load({ slot: wide }, 8, 8));
      const inside = b.slot(16);
      b.store({ slot: inside }, 0, 8, i);
      b.store({ slot: inside }, 8, 8, imm(50n));
      b.call(1, [b.mapref("seen"), b.addr(inside)], false);
      addTo(b, acc, b.load({ slot: inside }, 8, 8));
    });
    expect(check(ir, [ctxOf(0n)]).stackSize).toBe(32);
    expect(run(ir)).toBe(4n * (7n + 50n));
  });

  it("fails with a 'stack' BackendError carrying the function's location past 512 bytes", () => {
    const b = new FnBuilder("big");
    b.loc = { line: 9, col: 1 };
    const s = b.slot(400), t = b.slot(120);
    b.store({ slot: s }, 0, 8, imm(0));
    b.store({ slot: t }, 0, 8, imm(0));
    // Both in use at once: they cannot share bytes.
    b.ret(b.alu("add", b.load({ slot: s }, 0, 8), b.load({ slot: t }, 0, 8)));
    let err: unknown;
    try { compileFunction(b.build()); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("stack");
    expect((err as BackendError).loc).toEqual({ line: 1, col: 1 });
    expect((err as BackendError).message).toMatch(/520 bytes/);
  });

  it("stores constants with BPF_ST into a slot only helpers read, and into a helper's memory", () => {
    const b = new FnBuilder();
    const key = b.slot(8);
    b.store({ slot: key }, 0, 8, imm(-1));
    const v = b.call(1, [b.mapref("seen"), b.addr(key)])!;
    const some = b.label(), none = b.label();
    b.br("ne", v, imm(0), some, none);
    b.at(some);
    b.store({ reg: v }, 0, 8, imm(-7));
    b.store({ reg: v }, 8, 8, imm(1n << 40n)); // beyond s32: from a register
    b.ret(b.load({ reg: v }, 0, 8));
    b.at(none).ret(imm(0));
    const mc = check(b.build(), [ctxOf(0n)]);
    const t = text(mc.insns);
    expect(t).toEqual(expect.arrayContaining(["*(u64 *)(r10 - 8) = -1", "*(u64 *)(r0 + 0) = -7"]));
    expect(t).toContain("r1 = 1099511627776 ll");
  });

  it("stores constants with BPF_ST through an element of a helper's memory: its address plus an index, copied", () => {
    const b = new FnBuilder();
    const key = b.slot(4);
    b.store({ slot: key }, 0, 4, imm(0));
    const v = b.call(1, [b.mapref("arr"), b.addr(key)])!;
    const some = b.label(), none = b.label();
    b.br("ne", v, imm(0), some, none);
    b.at(some);
    const i = b.aluImm("and", b.load({ reg: b.ctx }, 0, 8), 3);
    const elem = b.alu("add", v, b.aluImm("lsh", i, 3));
    const copy = b.reg();
    b.ins({ op: "mov", dst: copy, src: elem });
    b.store({ reg: copy }, 0, 8, imm(0));
    b.ret(imm(1));
    b.at(none).ret(imm(0));
    const t = text(compileFunction(b.build()).insns);
    expect(t.some((l) => /^\*\(u64 \*\)\(r\d+ \+ 0\) = 0$/.test(l)), t.join("\n")).toBe(true);
    // The same through the context plus an index: a register store.
    const c = new FnBuilder();
    c.store({ reg: c.alu("add", c.ctx, c.aluImm("and", c.load({ reg: c.ctx }, 0, 8), 8)) }, 0, 8, imm(0));
    c.ret(imm(0));
    const tc = text(compileFunction(c.build()).insns);
    expect(tc.some((l) => /^\*\(u64 \*\)\(r\d+ [+-] \d+\) = -?\d+$/.test(l)), tc.join("\n")).toBe(false);
  });

  it("stores from a register where the function loads the bytes back, the address escapes, or through a parameter", () => {
    const loadsBack = new FnBuilder();
    const s = loadsBack.slot(8);
    loadsBack.store({ slot: s }, 0, 8, imm(0));
    loadsBack.ret(loadsBack.load({ slot: s }, 4, 4)); // before Linux 6.3, BPF_ST would make it unknown
    const escapes = new FnBuilder();
    const e = escapes.slot(8);
    escapes.store({ slot: e }, 0, 8, imm(5));
    escapes.ret(escapes.load({ reg: escapes.addr(e) }, 0, 8));
    const param = new FnBuilder();
    param.store({ reg: param.ctx }, 0, 8, imm(5)); // the context: the verifier refuses BPF_ST
    param.ret(imm(0));
    for (const fn of [loadsBack, escapes, param]) {
      const t = text(compileFunction(fn.build()).insns);
      expect(t.some((l) => /^\*\(u\d+ \*\)\(r\d+ [+-] \d+\) = -?\d+$/.test(l)), t.join("\n")).toBe(false);
    }
  });

  it("merges constant stores into one slot into fewer aligned ones, over bytes a later store writes", () => {
    // A 12-byte key { a: u32, b: u32, c: u8 } whose padding (bytes 9..11) is zeroed first.
    const b = new FnBuilder();
    const key = b.slot(12, 4);
    b.store({ slot: key }, 9, 1, imm(0));
    b.store({ slot: key }, 10, 2, imm(0));
    const x = b.load({ reg: b.ctx }, 0, 8);
    b.store({ slot: key }, 0, 4, x);
    b.store({ slot: key }, 4, 4, imm(0x1234));
    b.store({ slot: key }, 8, 1, x);
    const v = b.call(1, [b.mapref("seen"), b.addr(key)])!;
    b.ret(v);
    const t = text(check(b.build(), [ctxOf(3n), ctxOf(0x1_0000_0000n)]).insns);
    const stores = t.filter((l) => l.startsWith("*("));
    // Three constant stores become two; the zero word covers c, written after it.
    expect(stores).toEqual(["*(u32 *)(r10 - 8) = 4660", "*(u32 *)(r10 - 4) = 0", "*(u32 *)(r10 - 12) = r1", "*(u8 *)(r10 - 4) = r1"]);
  });

  it("keeps constant stores apart when the slot is read between them, or a later store would be undone", () => {
    const read = new FnBuilder();
    const s = read.slot(8);
    read.store({ slot: s }, 0, 4, imm(0));
    const low = read.load({ slot: s }, 0, 4); // a read between the stores
    read.store({ slot: s }, 4, 4, imm(0));
    const v = read.call(1, [read.mapref("seen"), read.addr(s)])!;
    read.ret(read.alu("add", v, low));
    expect(text(check(read.build(), [ctxOf(0n)]).insns).filter((l) => l.startsWith("*("))).toHaveLength(2);

    // A register store between two constant stores of the same bytes: the last one wins.
    const order = new FnBuilder();
    const o = order.slot(8);
    order.store({ slot: o }, 0, 4, imm(1));
    order.store({ slot: o }, 0, 4, order.load({ reg: order.ctx }, 0, 4));
    order.store({ slot: o }, 0, 4, imm(2));
    order.store({ slot: o }, 4, 4, imm(3));
    order.ret(order.load({ slot: o }, 0, 8));
    check(order.build(), [ctxOf(9n)]);
  });

  it("stores a narrow immediate without ld_imm64", () => {
    const b = new FnBuilder();
    const s = b.slot(8);
    b.store({ slot: s }, 0, 4, imm(0xffffffffn));
    b.ret(b.load({ slot: s }, 0, 4));
    const mc = check(b.build(), [ctxOf(0n)]);
    expect(text(mc.insns)).toContain("r1 = -1");
    expect(run(b.build())).toBe(0xffffffffn);
  });

  it("stores and compares 64-bit constants through ld_imm64", () => {
    const b = new FnBuilder();
    const s = b.slot(8);
    b.store({ slot: s }, 0, 8, imm(0x1122334455667788n));
    const v = b.load({ slot: s }, 0, 8);
    b.ret(b.setcc("eq", v, imm(0x1122334455667788n)));
    const mc = check(b.build(), [ctxOf(0n)]);
    expect(run(b.build())).toBe(1n);
    // One ld_imm64: the register stored from still holds the constant at the compare.
    expect(text(mc.insns).filter((t) => t.endsWith(" ll"))).toHaveLength(1);
  });
});
