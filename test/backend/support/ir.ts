// Test support: building IR functions by hand, and running them directly (the reference the
// compiled code is checked against).
// In: builder calls / an IrFunction and the same Env the BPF machine takes.
// Out: IrFunction values; R0-equivalent result and helper calls of a direct run.

import type {
  AluOp, Block, CmpOp, Inst, IrFunction, Loc, Operand, Size, Slot, Terminator, VReg,
} from "../../../compiler/ir/ir.js";
import { isImm } from "../../../compiler/ir/ir.js";
import { s64, u64, type Env, type HelperCall, type RunResult } from "./machine.js";

export const imm = (v: bigint | number): Operand => ({ imm: BigInt(v) });

/** Emits `for (i = 0; i cmp trips; i++) body(i, acc)` into b, acc starting at 0 (i
 *  incremented by a 32-bit add with w32, so known to be a u32), and leaves b at the
 *  block after the loop. Returns acc. */
export function countedLoop(b: FnBuilder, body: (i: VReg, acc: VReg) => void, opts: { trips?: bigint; cmp?: CmpOp; w32?: boolean } = {}): VReg {
  const i = b.reg(), acc = b.reg();
  b.ins({ op: "const", dst: i, value: 0n });
  b.ins({ op: "const", dst: acc, value: 0n });
  const head = b.label(), start = b.label(), exit = b.label();
  b.jmp(head);
  b.at(head);
  b.br(opts.cmp ?? "ult", i, imm(opts.trips ?? 4n), start, exit);
  b.at(start);
  body(i, acc);
  b.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1n), ...(opts.w32 ? { w32: true } : {}) });
  b.jmp(head);
  b.at(exit);
  return acc;
}

/** Builds an IrFunction: blocks are created with label(), filled after at(label). */
export class FnBuilder {
  readonly ctx: VReg = 0;
  private nextReg = 1;
  private readonly blocks: Block[] = [];
  private readonly slots: Slot[] = [];
  readonly hints = new Map<VReg, number>();
  private cur: Block | undefined;
  loc: Loc | undefined;

  constructor(readonly name = "prog") {
    this.at(this.label());
  }

  reg(): VReg { return this.nextReg++; }

  slot(size: number, align = 8, name = `s${this.slots.length}`): number {
    const id = this.slots.length;
    this.slots.push({ id, size, align, name });
    return id;
  }

  label(): number {
    const id = this.blocks.length;
    this.blocks.push({ id, insts: [], term: { op: "ret", value: { imm: 0n } } });
    return id;
  }

  at(label: number): this {
    this.cur = this.blocks[label];
    return this;
  }

  ins(i: Inst): this {
    this.cur!.insts.push(this.loc ? { ...i, loc: this.loc } : i);
    return this;
  }

  term(t: Terminator): void {
    this.cur!.term = this.loc ? { ...t, loc: this.loc } : t;
  }

  /** A register loaded with a map's address. */
  mapref(map: string): VReg {
    const dst = this.reg();
    this.ins({ op: "symref", dst, kind: "map", symbol: map });
    return dst;
  }

  /** A register loaded with a module global's address: `offset` bytes into `section`. */
  global(symbol: string, section: ".rodata" | ".data" | ".bss", offset: number): VReg {
    const dst = this.reg();
    this.ins({ op: "symref", dst, kind: "data", symbol, at: { section, offset } });
    return dst;
  }

  /** A register holding a stack slot's address (plus off). */
  addr(slot: number, off = 0): VReg {
    const dst = this.reg();
    this.ins({ op: "addr", dst, slot, off });
    return dst;
  }

  const(value: bigint | number): VReg {
    const dst = this.reg();
    this.ins({ op: "const", dst, value: BigInt(value) });
    return dst;
  }

  /** dst = a op b; a number b is a register. */
  alu(alu: AluOp, a: VReg, b: Operand): VReg {
    const dst = this.reg();
    this.ins({ op: "alu", alu, dst, a, b });
    return dst;
  }

  aluImm(alu: AluOp, a: VReg, b: bigint | number): VReg {
    const dst = this.reg();
    this.ins({ op: "alu", alu, dst, a, b: imm(b) });
    return dst;
  }

  setcc(cmp: CmpOp, a: VReg, b: Operand): VReg {
    const dst = this.reg();
    this.ins({ op: "setcc", dst, cmp, a, b });
    return dst;
  }

  load(base: { reg: VReg } | { slot: number }, off: number, size: Size): VReg {
    const dst = this.reg();
    this.ins({ op: "load", dst, base, off, size });
    return dst;
  }

  store(base: { reg: VReg } | { slot: number }, off: number, size: Size, src: Operand): void {
    this.ins({ op: "store", base, off, size, src });
  }

  call(helper: number, args: Operand[], result = true): VReg | undefined {
    const dst = result ? this.reg() : undefined;
    this.ins(dst === undefined ? { op: "call", helper, args } : { op: "call", dst, helper, args });
    return dst;
  }

  jmp(target: number): void { this.term({ op: "jmp", target }); }
  br(cmp: CmpOp, a: VReg, b: Operand, then: number, els: number): void { this.term({ op: "br", cmp, a, b, then, else: els }); }
  ret(value: Operand): void { this.term({ op: "ret", value }); }

  build(): IrFunction {
    return { name: this.name, params: [this.ctx], hints: this.hints, blocks: this.blocks, slots: this.slots, nextReg: this.nextReg, ...(this.loc ? { loc: { line: 1, col: 1 } } : {}) };
  }
}

function aluIr(op: AluOp, a: bigint, b: bigint): bigint {
  a = u64(a); b = u64(b);
  switch (op) {
    case "add": return a + b;
    case "sub": return a - b;
    case "mul": return a * b;
    case "udiv": return b === 0n ? 0n : a / b;
    case "umod": return b === 0n ? a : a % b;
    case "sdiv": return b === 0n ? 0n : s64(a) / s64(b); // BigInt division truncates toward zero
    case "smod": return b === 0n ? a : s64(a) % s64(b);
    case "and": return a & b;
    case "or": return a | b;
    case "xor": return a ^ b;
    case "lsh": return a << (b & 63n);
    case "rsh": return a >> (b & 63n);
    case "arsh": return s64(a) >> (b & 63n);
  }
}

export function cmpIr(cmp: CmpOp, a: bigint, b: bigint): boolean {
  a = u64(a); b = u64(b);
  switch (cmp) {
    case "eq": return a === b;
    case "ne": return a !== b;
    case "set": return (a & b) !== 0n;
    case "ugt": return a > b;
    case "uge": return a >= b;
    case "ult": return a < b;
    case "ule": return a <= b;
    case "sgt": return s64(a) > s64(b);
    case "sge": return s64(a) >= s64(b);
    case "slt": return s64(a) < s64(b);
    case "sle": return s64(a) <= s64(b);
  }
}

/** Runs the IR directly. Stack slots live in a region of their own. */
export function runIr(fn: IrFunction, env: Env, maxSteps = 1_000_000): RunResult {
  const regs = new Map<VReg, bigint>([[fn.params[0]!, env.ctx]]);
  const slotBase = new Map<number, bigint>();
  for (const s of fn.slots) slotBase.set(s.id, env.mem.add(`slot ${s.name}`, new Uint8Array(Math.max(8, s.size)), true));
  const get = (r: VReg): bigint => {
    const v = regs.get(r);
    if (v === undefined) throw new Error(`IR register ${r} read before it is written`);
    return v;
  };
  const val = (o: Operand): bigint => (isImm(o) ? u64(o.imm) : get(o));
  const addr = (base: { reg: VReg } | { slot: number }, off: number): bigint =>
    u64(("reg" in base ? get(base.reg) : slotBase.get(base.slot)!) + BigInt(off));
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const calls: HelperCall[] = [];
  let block = fn.blocks[0]!;
  let steps = 0;
  for (;;) {
    for (const i of block.insts) {
      if (++steps > maxSteps) throw new Error("IR run did not finish");
      switch (i.op) {
        case "const": regs.set(i.dst, u64(i.value)); break;
        case "mov": regs.set(i.dst, get(i.src)); break;
        case "alu": {
          // w32: the low halves, the result zero-extended (BPF's 32-bit ALU).
          // An arithmetic shift reads the low half as signed.
          const low = (x: bigint): bigint => (i.alu === "arsh" ? BigInt.asIntN(32, x) : BigInt.asUintN(32, x));
          const r = i.w32 ? BigInt.asUintN(32, aluIr(i.alu, low(get(i.a)), BigInt.asUintN(32, val(i.b)))) : aluIr(i.alu, get(i.a), val(i.b));
          regs.set(i.dst, u64(r));
          break;
        }
        case "neg": regs.set(i.dst, u64(-get(i.a))); break;
        case "ext": {
          const v = get(i.src);
          regs.set(i.dst, u64(i.signed ? BigInt.asIntN(i.bits, v) : BigInt.asUintN(i.bits, v)));
          break;
        }
        case "setcc": regs.set(i.dst, cmpIr(i.cmp, get(i.a), val(i.b)) ? 1n : 0n); break;
        case "load": regs.set(i.dst, env.mem.read(addr(i.base, i.off), i.size)); break;
        case "store": env.mem.write(addr(i.base, i.off), i.size, val(i.src)); break;
        case "addr": regs.set(i.dst, u64(slotBase.get(i.slot)! + BigInt(i.off))); break;
        case "symref": regs.set(i.dst, env.maps.get(i.symbol)!); break;
        case "call": {
          if ("fn" in i) throw new Error("the IR runner has no subprograms");
          const args = i.args.map(val);
          calls.push({ id: i.helper, args });
          const r = u64(env.helpers.call(i.helper, args, env.mem));
          if (i.dst !== undefined) regs.set(i.dst, r);
          break;
        }
        case "atomic_add": {
          const a = addr(i.base, i.off);
          env.mem.write(a, i.size, env.mem.read(a, i.size) + get(i.src));
          break;
        }
      }
    }
    const t = block.term;
    if (t.op === "ret") return { r0: val(t.value), calls, steps };
    const next = t.op === "jmp" ? t.target : cmpIr(t.cmp, get(t.a), val(t.b)) ? t.then : t.else;
    block = byId.get(next)!;
  }
}
