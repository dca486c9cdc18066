// Test support: random IR programs for the fuzz and verifier tests: straight code, diamonds,
// bounded loops, helper calls 100..105 (pure, 0..5 arguments), map lookups with null checks,
// stack slots, variables reassigned on some paths, and as many values live at once as the
// `pressure` asks. In: a seed (and, for a long program, its length in regions). Out: an
// IrFunction that reads only initialized state.

import type { AluOp, CmpOp, IrFunction, Operand, Size, VReg } from "../../../compiler/ir/ir.js";
import { FnBuilder, imm } from "./ir.js";

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALU_OPS: AluOp[] = ["add", "sub", "mul", "udiv", "umod", "sdiv", "smod", "and", "or", "xor", "lsh", "rsh", "arsh"];
const CMPS: CmpOp[] = ["eq", "ne", "set", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle"];
const CONSTS = [0n, 1n, -1n, 2n, 3n, 7n, 8n, -8n, 63n, 255n, 1n << 31n, -(1n << 31n), (1n << 31n) - 1n, 1n << 40n, -(1n << 63n), 0xdeadbeefcafen];

export class Gen {
  readonly b = new FnBuilder("fuzz");
  private vars: VReg[] = [];
  /** Loop counters: read freely, never reassigned. */
  private readonly ro = new Set<VReg>();
  private readonly slots: number[] = [];
  private readonly key: number;

  constructor(private readonly r: () => number, private readonly pressure: number) {
    for (let k = 0; k < 2; k++) {
      const s = this.b.slot(16);
      this.b.store({ slot: s }, 0, 8, imm(k));
      this.b.store({ slot: s }, 8, 8, imm(k + 100));
      this.slots.push(s);
    }
    this.key = this.b.slot(8, 8, "key");
    for (let k = 0; k < 4; k++) this.vars.push(this.b.load({ reg: this.b.ctx }, 8 * k, 8));
  }

  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)]!; }
  chance(p: number): boolean { return this.r() < p; }
  v(): VReg { return this.pick(this.vars); }
  operand(): Operand { return this.chance(0.35) ? imm(this.pick(CONSTS)) : this.v(); }

  /** A new value, or an existing variable reassigned (so registers have several definitions). */
  dst(): { dst: VReg; fresh: boolean } {
    const rw = this.vars.filter((v) => !this.ro.has(v));
    if (rw.length > 3 && this.chance(0.3)) return { dst: this.pick(rw), fresh: false };
    return { dst: this.b.reg(), fresh: true };
  }

  straight(n: number): void {
    for (let k = 0; k < n; k++) {
      const { dst, fresh } = this.dst();
      const roll = this.r();
      const b = this.b;
      if (roll < 0.45) {
        const alu = this.pick(ALU_OPS);
        const rhs = this.operand();
        b.ins({ op: "alu", alu, dst, a: this.v(), b: alu.endsWith("sh") && typeof rhs !== "number" ? imm(rhs.imm & 63n) : rhs });
      } else if (roll < 0.52) b.ins({ op: "const", dst, value: this.pick(CONSTS) });
      else if (roll < 0.57) b.ins({ op: "neg", dst, a: this.v() });
      else if (roll < 0.63) b.ins({ op: "ext", dst, src: this.v(), bits: this.pick([8, 16, 32] as const), signed: this.chance(0.5) });
      else if (roll < 0.70) b.ins({ op: "setcc", dst, cmp: this.pick(CMPS), a: this.v(), b: this.operand() });
      else if (roll < 0.75) b.ins({ op: "load", dst, base: { reg: b.ctx }, off: 8 * Math.floor(this.r() * 7), size: this.pick([1, 2, 4, 8] as Size[]) });
      else if (roll < 0.80) {
        // Any width at any aligned place, so that runs of narrow stores get merged.
        const s = this.pick(this.slots), size = this.pick([1, 2, 4, 8] as Size[]);
        b.store({ slot: s }, size * Math.floor(this.r() * (16 / size)), size, this.operand());
        continue;
      } else if (roll < 0.85) {
        const size = this.pick([1, 2, 4, 8] as Size[]);
        b.ins({ op: "load", dst, base: { slot: this.pick(this.slots) }, off: size * Math.floor(this.r() * (16 / size)), size });
      }
      else if (roll < 0.95) {
        const n = Math.floor(this.r() * 6);
        b.ins({ op: "call", dst, helper: 100 + n, args: Array.from({ length: n }, () => this.operand()) });
      } else if (roll < 0.98) b.ins({ op: "mov", dst, src: this.v() });
      else { this.lookup(); continue; }
      if (fresh) this.vars.push(dst);
    }
  }

  /** Map lookup with a null check; on a hit, bump the value and read it into a variable. */
  lookup(): void {
    const b = this.b;
    const k = b.alu("and", this.v(), imm(7n));
    b.store({ slot: this.key }, 0, 8, k);
    const m = b.reg();
    b.ins({ op: "symref", dst: m, kind: "map", symbol: "seen" });
    const kp = b.reg();
    b.ins({ op: "addr", dst: kp, slot: this.key, off: 0 });
    const p = b.call(1, [m, kp])!;
    const hit = b.label(), join = b.label();
    b.br("eq", p, imm(0), join, hit);
    b.at(hit);
    b.ins({ op: "atomic_add", base: { reg: p }, off: 0, size: 8, src: this.v() });
    b.ins({ op: "load", dst: this.dst().dst, base: { reg: p }, off: 0, size: 8 });
    b.jmp(join);
    b.at(join);
  }

  /** A fresh 32-bit extension of a context value, read only by what the caller makes of it. */
  ext32(signed: boolean): VReg {
    const x = this.b.reg();
    this.b.ins({ op: "ext", dst: x, src: this.b.load({ reg: this.b.ctx }, 8 * Math.floor(this.r() * 7), 8), bits: 32, signed });
    return x;
  }

  region(depth: number): void {
    const roll = this.r();
    if (depth < 2 && roll < 0.25) {
      const saved = [...this.vars];
      const t = this.b.label(), e = this.b.label(), j = this.b.label();
      if (this.chance(0.3)) {
        // A compare whose only reader is the branch (fused by the backend).
        const c = this.b.setcc(this.pick(CMPS), this.v(), this.operand());
        this.b.br(this.pick(["eq", "ne"] as CmpOp[]), c, imm(this.pick([0n, 1n])), t, e);
      } else if (this.chance(0.3)) {
        // 32-bit extensions of context values compared (as jmp32, where the backend can).
        const signed = this.chance(0.5);
        const x = this.ext32(signed);
        this.b.br(this.pick(CMPS), x, this.chance(0.7) ? imm(this.pick(CONSTS)) : this.ext32(this.chance(0.8) ? signed : !signed), t, e);
      } else {
        this.b.br(this.pick(CMPS), this.v(), this.operand(), t, e);
      }
      this.b.at(t); this.body(depth + 1); this.b.jmp(j);
      this.vars = [...saved];
      this.b.at(e); this.body(depth + 1); this.b.jmp(j);
      this.vars = saved;
      this.b.at(j);
    } else if (depth < 2 && roll < 0.4) {
      const saved = [...this.vars];
      const i = this.b.const(0);
      const bound = this.chance(0.5) ? imm(BigInt(1 + Math.floor(this.r() * 4))) : this.b.alu("and", this.v(), imm(3n));
      const head = this.b.label(), body = this.b.label(), exit = this.b.label();
      this.b.jmp(head);
      this.b.at(head).br("ult", i, bound, body, exit);
      this.b.at(body);
      this.vars.push(i);
      this.ro.add(i);
      this.body(depth + 1);
      this.b.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1n) });
      this.b.jmp(head);
      this.vars = saved;
      this.b.at(exit);
    } else {
      this.straight(1 + Math.floor(this.r() * this.pressure));
    }
  }

  body(depth: number): void {
    const n = 1 + Math.floor(this.r() * 3);
    for (let k = 0; k < n; k++) this.region(depth);
  }

  /** Keeps the four context values and the newest `n` others: older values die. */
  trim(n: number): void {
    this.vars = [...this.vars.slice(0, 4), ...this.vars.slice(4).slice(-n)];
  }

  finish(): IrFunction {
    let acc = this.vars[0]!;
    for (const v of this.vars.slice(1)) acc = this.b.alu(this.pick(["xor", "add"] as AluOp[]), acc, v);
    this.b.ret(acc);
    return this.b.build();
  }
}

/** A long random program: `regions` top-level regions with at most `pressure` values
 *  besides the four context ones carried from one to the next, so that the four live
 *  throughout (they interfere with everything) while pressure stays as asked. */
export function longRandomProgram(seed: number, pressure: number, regions: number): { ir: IrFunction; r: () => number } {
  const r = rng(seed);
  const g = new Gen(r, pressure);
  for (let k = 0; k < regions; k++) {
    g.region(0);
    g.trim(pressure);
  }
  return { ir: g.finish(), r };
}

/** A whole random program for a seed. */
export function randomProgram(seed: number, pressure: number): { ir: IrFunction; r: () => number } {
  const r = rng(seed);
  const g = new Gen(r, pressure);
  g.body(0);
  return { ir: g.finish(), r };
}
