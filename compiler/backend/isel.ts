// Instruction selection: IR to machine IR, one IR instruction at a time.
// In: an IrFunction (constants already folded by fold.ts) and the CPU version. Out: an
// MFunction on virtual registers (IR register v becomes FIRST_VREG + v), symbolic jump
// targets and stack slots.
//
// Choices made here:
//   - ALU with an immediate when it fits s32 (sign-extended by the CPU); otherwise ld_imm64
//     into a temporary. Division and modulo by an immediate only for 1..2^31-1, and by powers
//     of two as shifts and masks; x/0 = 0 and x%0 = x are folded (the verifier rejects a
//     division by an immediate 0).
//   - BPF_MOD for remainders and JSET for (a & b) != 0, as clang 19 uses them (base ISA);
//     constants stored with BPF_ST where store-imm.ts allows it, else from a register
//     (one per value and block, until a call clobbers it).
//   - an extension whose readers need only the low bits of its source (narrow.ts) is left
//     out: they read the source, compares as BPF_JMP32.
//   - a compare's 0/1 value of a 32-bit value against an immediate is the sign of a
//     difference (branch-free-compares.ts), other ones a branch over `dst = 0`; a
//     zero-extended 32-bit value (value-ranges.ts) compares with an immediate of 2^31 and
//     up as BPF_JMP32, which needs no ld_imm64.
//   - CPU v3: sign extension is lsh + arsh, signed division is expanded with unsigned
//     division, branch-free. CPU v4: movsx, a sign-extending load where the extension is the
//     loaded value's only reader (sext-loads.ts), and sdiv/smod.
//   - the arguments (a program's ctx) are copied out of R1..R5 at entry; a call copies its arguments into R1..R5 with one
//     parallel copy and its result out of R0; a return copies into R0. The allocator
//     coalesces these copies away where it can.

import type { CpuVersion } from "../bpf/cpu.js";
import { ALU, JMP } from "../bpf/insn.js";
import {
  isImm, type AluOp, type Block, type CmpOp, type Inst, type IrFunction, type Loc, type Operand,
  type Size, type Terminator, type VReg,
} from "../ir/ir.js";
import { branchFreeCompares, type BranchFree } from "./branch-free-compares.js";
import { BackendError } from "./errors.js";
import { signExtendedLoads } from "./sext-loads.js";
import { fitsS32 } from "./imm.js";
import { compare32, narrowExtensions, type NarrowMap } from "./narrow.js";
import { slotPointers } from "./slot-pointers.js";
import { registerRanges, valueRanges, type Range as ValueRange, type RangeAt } from "./value-ranges.js";
import { storeImmediates } from "./store-imm.js";
import {
  ARG_REGS, Asm, FIRST_VREG, R0, type MBlock, type MFunction, type MInst, type MSlot, type MTerm, type Mem,
  type Reg, type Src,
} from "./mir.js";

export const CMP_CODE: Record<CmpOp, number> = {
  eq: JMP.JEQ, ne: JMP.JNE, set: JMP.JSET, ugt: JMP.JGT, uge: JMP.JGE, ult: JMP.JLT, ule: JMP.JLE,
  sgt: JMP.JSGT, sge: JMP.JSGE, slt: JMP.JSLT, sle: JMP.JSLE,
};

const ALU_CODE: Partial<Record<AluOp, number>> = {
  add: ALU.ADD, sub: ALU.SUB, mul: ALU.MUL, udiv: ALU.DIV, umod: ALU.MOD, and: ALU.AND, or: ALU.OR,
  xor: ALU.XOR, lsh: ALU.LSH, rsh: ALU.RSH, arsh: ALU.ARSH,
};

const S32_MAX = (1n << 31n) - 1n;

function log2Exact(v: bigint): number {
  if (v <= 0n || (v & (v - 1n)) !== 0n) return -1;
  let n = 0;
  while (v > 1n) { v >>= 1n; n++; }
  return n;
}

/** The immediate of a BPF_ST of `size` bytes storing v: bytes and halves unsigned as
 *  written, words and double words signed (the CPU sign-extends it for a double word). */
function stImmediate(size: Size, v: bigint): number {
  return Number(size < 4 ? BigInt.asUintN(size * 8, v) : BigInt.asIntN(32, v));
}

/** Emits the machine instructions of one block. */
class Selector {
  out: MInst[] = [];
  loc: Loc | undefined;
  /** Registers holding an immediate that stores in this block wrote (not as BPF_ST),
   *  reused by later stores of the same value until a call clobbers the argument registers. */
  readonly storedImms = new Map<bigint, Reg>();

  constructor(
    private readonly fn: { nextReg: Reg; slots: MSlot[] },
    private readonly v4: boolean,
    /** Loads to sign-extend as they load (v4): their one reader, the extension, is a copy. */
    private readonly sextLoads: ReadonlySet<VReg>,
    /** Which constant stores may be BPF_ST (store-imm.ts). */
    private readonly storeImm: (i: Extract<Inst, { op: "store" }>) => boolean,
    /** Extensions left out: their readers read the source (narrow.ts). */
    private readonly narrow: NarrowMap,
    /** What holds of each register over all of its writes (value-ranges.ts). */
    private readonly known: (r: VReg) => ValueRange,
    /** Compares computed as a difference's sign (branch-free-compares.ts). */
    private readonly branchFree: ReadonlyMap<Inst, BranchFree>,
    /** What is known of a register's value where it is read (value-ranges.ts). */
    private readonly rangeAt: RangeAt,
  ) {}

  /** The block being selected, and the index of its instruction being selected (its
   *  number of instructions at the terminator). */
  block!: Block;
  index = 0;

  /** The register an IR register's reader reads: an extension left out reads its source. */
  R(v: VReg): Reg {
    return (this.narrow.get(v)?.src ?? v) + FIRST_VREG;
  }

  tmp(): Reg {
    return this.fn.nextReg++;
  }

  emit(i: MInst): void {
    this.out.push(this.loc ? { ...i, loc: this.loc } : i);
  }

  mov(dst: Reg, src: Reg): void {
    if (dst !== src) this.emit(Asm.mov(dst, src));
  }

  constant(dst: Reg, value: bigint): void {
    const v = BigInt.asIntN(64, value);
    this.emit(fitsS32(v) ? Asm.movImm(dst, Number(v)) : Asm.ld64(dst, v));
  }

  /** A register holding the value of the operand. */
  reg(o: Operand): Reg {
    if (!isImm(o)) return o + FIRST_VREG;
    const t = this.tmp();
    this.constant(t, o.imm);
    return t;
  }

  /** The operand as a compare/ALU source: immediate if it fits s32. */
  src(o: Operand): Src {
    if (isImm(o) && fitsS32(o.imm)) return { imm: Number(BigInt.asIntN(64, o.imm)) };
    return { reg: this.reg(o) };
  }

  /** dst = a op src, two-address: a copy, then the operation (32-bit with w32; signed
   *  division or remainder with signed). */
  binop(op: number, dst: Reg, a: Reg, b: Src, w32 = false, signed = false): void {
    if ("reg" in b && b.reg === dst && a !== dst) {
      const t = this.tmp();
      this.binop(op, t, a, b, w32, signed);
      this.mov(dst, t);
      return;
    }
    this.mov(dst, a);
    const flags = { ...(w32 ? { w32 } : {}), ...(signed ? { signed } : {}) };
    this.emit("reg" in b ? { k: "alu", op, dst, src: b.reg, ...flags } : { k: "alui", op, dst, imm: b.imm, ...flags });
  }

  /** dst = a op imm, with imm a full 64-bit value. */
  binopImm(op: number, dst: Reg, a: Reg, imm: bigint): void {
    this.binop(op, dst, a, this.src({ imm }));
  }

  udivImm(dst: Reg, a: Reg, v: bigint): void {
    v = BigInt.asUintN(64, v);
    const sh = log2Exact(v);
    if (v === 0n) this.constant(dst, 0n);
    else if (sh >= 0) sh === 0 ? this.mov(dst, a) : this.binop(ALU.RSH, dst, a, { imm: sh });
    else if (v <= S32_MAX) this.binop(ALU.DIV, dst, a, { imm: Number(v) });
    else this.binop(ALU.DIV, dst, a, { reg: this.reg({ imm: v }) });
  }

  umodImm(dst: Reg, a: Reg, v: bigint): void {
    v = BigInt.asUintN(64, v);
    if (v === 0n) this.mov(dst, a);
    else if (log2Exact(v) >= 0) this.binopImm(ALU.AND, dst, a, v - 1n);
    else if (v <= S32_MAX) this.binop(ALU.MOD, dst, a, { imm: Number(v) });
    else this.binop(ALU.MOD, dst, a, { reg: this.reg({ imm: v }) });
  }

  /** sign = a s>> 63 (0 or -1); abs = (a ^ sign) - sign, the magnitude as unsigned. */
  magnitude(a: Reg): { sign: Reg; abs: Reg } {
    const sign = this.tmp();
    const abs = this.tmp();
    this.binop(ALU.ARSH, sign, a, { imm: 63 });
    this.binop(ALU.XOR, abs, a, { reg: sign });
    this.emit(Asm.alu(ALU.SUB, abs, sign));
    return { sign, abs };
  }

  /** x = (x ^ s) - s: negates x where s is -1. */
  applySign(x: Reg, s: Reg): void {
    this.emit(Asm.alu(ALU.XOR, x, s));
    this.emit(Asm.alu(ALU.SUB, x, s));
  }

  /** Signed division and remainder, truncating toward zero: sdiv and smod with CPU v4
   *  (x/0 = 0 and x%0 = x there too), else expanded branch-free:
   *  q = sign(a)*sign(b) * (|a| / |b|), r = sign(a) * (|a| % |b|). With b = 0 the unsigned
   *  divide gives 0 and a%0 = a, so x/0 = 0 and x%0 = x as in BPF. */
  sdivmod(rem: boolean, dst: Reg, a: Reg, b: Operand): void {
    const op = rem ? ALU.MOD : ALU.DIV;
    if (isImm(b)) {
      const v = BigInt.asIntN(64, b.imm);
      if (v === 0n) return rem ? this.mov(dst, a) : this.constant(dst, 0n);
      if (v === 1n || v === -1n) {
        if (rem) return this.constant(dst, 0n);
        this.mov(dst, a);
        if (v === -1n) this.emit(Asm.neg(dst));
        return;
      }
      if (this.v4) return this.binop(op, dst, a, this.src(b), false, true);
      const ma = this.magnitude(a);
      const absB = v < 0n ? -v : v;
      const r = this.tmp();
      if (rem) {
        this.umodImm(r, ma.abs, absB);
        this.applySign(r, ma.sign);
      } else {
        this.udivImm(r, ma.abs, absB);
        let s = ma.sign;
        if (v < 0n) {
          s = this.tmp();
          this.binop(ALU.XOR, s, ma.sign, { imm: -1 });
        }
        this.applySign(r, s);
      }
      this.mov(dst, r);
      return;
    }
    if (this.v4) return this.binop(op, dst, a, { reg: b + FIRST_VREG }, false, true);
    const ma = this.magnitude(a);
    const mb = this.magnitude(b + FIRST_VREG);
    const r = this.tmp();
    if (rem) {
      this.binop(ALU.MOD, r, ma.abs, { reg: mb.abs });
      this.applySign(r, ma.sign);
    } else {
      this.binop(ALU.DIV, r, ma.abs, { reg: mb.abs });
      this.emit(Asm.alu(ALU.XOR, mb.sign, ma.sign));
      this.applySign(r, mb.sign);
    }
    this.mov(dst, r);
  }

  alu(i: Extract<Inst, { op: "alu" }>): void {
    const dst = i.dst + FIRST_VREG;
    const a = i.a + FIRST_VREG;
    if (i.core) {
      const code = ALU_CODE[i.alu];
      if (code === undefined || !isImm(i.b) || !fitsS32(i.b.imm)) {
        throw new BackendError("ir", `a CO-RE relocated ${i.alu} needs an s32 immediate operand`, i.loc);
      }
      this.mov(dst, a);
      this.emit(Asm.aluImm(code, dst, Number(BigInt.asIntN(64, i.b.imm)), i.core));
      return;
    }
    if (i.w32) {
      // The 32-bit ALU: operands' low halves, result zero-extended.
      const b: Src = isImm(i.b) ? { imm: Number(BigInt.asIntN(32, i.b.imm)) } : { reg: this.R(i.b) };
      return this.binop(ALU_CODE[i.alu]!, dst, this.R(i.a), b, true);
    }
    switch (i.alu) {
      case "sdiv": return this.sdivmod(false, dst, a, i.b);
      case "smod": return this.sdivmod(true, dst, a, i.b);
      case "udiv":
        if (isImm(i.b)) return this.udivImm(dst, a, i.b.imm);
        return this.binop(ALU.DIV, dst, a, { reg: i.b + FIRST_VREG });
      case "umod":
        if (isImm(i.b)) return this.umodImm(dst, a, i.b.imm);
        return this.binop(ALU.MOD, dst, a, { reg: i.b + FIRST_VREG });
      default:
        break;
    }
    const code = ALU_CODE[i.alu]!;
    if (!isImm(i.b)) return this.binop(code, dst, a, { reg: i.b + FIRST_VREG });
    const v = BigInt.asIntN(64, i.b.imm);
    switch (i.alu) {
      case "lsh": case "rsh": case "arsh": {
        const sh = Number(BigInt.asUintN(6, v));
        return sh === 0 ? this.mov(dst, a) : this.binop(code, dst, a, { imm: sh });
      }
      case "add": case "sub": case "or": case "xor":
        if (v === 0n) return this.mov(dst, a);
        break;
      case "mul":
        if (v === 1n) return this.mov(dst, a);
        if (v === 0n) return this.constant(dst, 0n);
        break;
      case "and":
        if (v === -1n) return this.mov(dst, a);
        if (v === 0n) return this.constant(dst, 0n);
        if (v === 0xffffffffn) return this.emit(Asm.zext32(dst, a));
        break;
      default:
        break;
    }
    this.binopImm(code, dst, a, v);
  }

  inst(i: Inst): void {
    this.loc = i.loc;
    const R = (v: VReg): Reg => v + FIRST_VREG;
    switch (i.op) {
      case "const":
        // libbpf patches an enumerator's value into an ld_imm64 (it may need 64 bits), as
        // clang emits it; an existence or offset into a mov's immediate.
        if (i.core?.root.kind === "enum") return this.emit({ k: "ld64", dst: R(i.dst), value: i.value, core: i.core });
        if (i.core) return this.emit({ k: "movi", dst: R(i.dst), imm: Number(i.value), core: i.core });
        return this.constant(R(i.dst), i.value);
      case "mov": return this.mov(R(i.dst), R(i.src));
      case "alu": return this.alu(i);
      case "neg":
        this.mov(R(i.dst), R(i.a));
        return this.emit(Asm.neg(R(i.dst)));
      case "ext": {
        if (this.narrow.has(i.dst)) return;
        const dst = R(i.dst), src = this.R(i.src);
        if (i.signed) {
          if (this.sextLoads.has(i.src)) return this.mov(dst, src);
          if (this.v4) return this.emit(Asm.movsx(dst, src, i.bits));
          const sh = 64 - i.bits;
          this.binop(ALU.LSH, dst, src, { imm: sh });
          return this.emit(Asm.aluImm(ALU.ARSH, dst, sh));
        }
        if (i.bits === 32) {
          // A value whose upper half is zero already (a 32-bit load, pid()) is its own
          // zero extension: a copy, which the allocator can coalesce away.
          if (this.rangeAt(this.block, this.index, i.src).u32) return this.mov(dst, src);
          return this.emit(Asm.zext32(dst, src));
        }
        return this.binop(ALU.AND, dst, src, { imm: i.bits === 8 ? 0xff : 0xffff });
      }
      case "setcc": {
        const dst = R(i.dst);
        const free = this.branchFree.get(i);
        if (free && !this.narrow.has(i.a)) {
          // 1 when c - a (or a - c) is negative: its sign bit, shifted down.
          const a = i.a + FIRST_VREG;
          const t = free.form === "c-a" && dst === a ? this.tmp() : dst;
          if (free.form === "c-a") {
            this.emit(Asm.movImm(t, free.c));
            this.emit(Asm.alu(ALU.SUB, t, a));
          } else {
            this.binop(ALU.SUB, t, a, { imm: free.c });
          }
          this.emit(Asm.aluImm(ALU.RSH, t, 63));
          return this.mov(dst, t);
        }
        const { a, cmp, b, w32 } = this.compare(i.cmp, i.a, i.b);
        // dst is written before a and b are read: a clash needs a temporary.
        const clash = dst === a || ("reg" in b && b.reg === dst);
        const t = clash ? this.tmp() : dst;
        this.emit(Asm.setcc(t, cmp, a, b, w32));
        return this.mov(dst, t);
      }
      case "load": return this.emit(Asm.load(R(i.dst), i.size, this.mem(i.base, i.off), this.sextLoads.has(i.dst)));
      case "store": {
        // Only the low `size` bytes are stored: a narrow store's immediate needs no ld_imm64.
        if (!isImm(i.src)) return this.emit(Asm.store(i.size, this.mem(i.base, i.off), this.R(i.src)));
        if (this.storeImm(i)) return this.emit(Asm.storeImm(i.size, this.mem(i.base, i.off), stImmediate(i.size, i.src.imm)));
        const value = i.size < 8 ? BigInt.asIntN(i.size * 8, i.src.imm) : i.src.imm;
        let r = this.storedImms.get(value);
        if (r === undefined) this.storedImms.set(value, (r = this.reg({ imm: value })));
        return this.emit(Asm.store(i.size, this.mem(i.base, i.off), r));
      }
      case "addr": return this.emit(Asm.addr(R(i.dst), i.slot, i.off));
      case "symref": return this.emit(Asm.ldSym(R(i.dst), i.kind, i.symbol));
      case "call": {
        const callee = "fn" in i ? i.fn : `helper ${i.helper}`;
        if (i.args.length > ARG_REGS.length) {
          throw new BackendError("ir", `${callee} called with ${i.args.length} arguments; BPF passes at most 5`, i.loc);
        }
        const moves: { dst: Reg; src: Reg }[] = [];
        const imms: { dst: Reg; value: bigint }[] = [];
        i.args.forEach((o, n) => {
          if (isImm(o)) imms.push({ dst: ARG_REGS[n]!, value: BigInt.asIntN(64, o.imm) });
          else moves.push({ dst: ARG_REGS[n]!, src: R(o) });
        });
        if (i.args.length > 0) this.emit({ k: "args", moves, imms });
        this.emit("fn" in i ? Asm.callFn(i.fn, i.args.length) : Asm.call(i.helper, i.args.length));
        if (i.dst !== undefined) this.mov(R(i.dst), R0);
        return;
      }
      case "atomic_add":
        return this.emit(Asm.xadd(i.size, { base: R(i.base.reg), off: i.off }, R(i.src)));
      case "forget": return this.forget(R(i.dst), this.R(i.src), this.rangeAt(this.block, this.index, i.src));
    }
  }

  /** The slot forget() passes values through, made at its first use. */
  private forgetSlot: number | undefined;

  /** dst = src, through stack bytes the verifier stops following: the atomic add into
   *  the zeroed slot leaves them STACK_MISC, and the load of them an unknown value. A
   *  32-bit value (range) goes through 4 bytes, loaded zero-extended, sign-extended again
   *  if it is a signed one, so that the verifier knows what value-ranges does. */
  forget(dst: Reg, src: Reg, range: ValueRange): void {
    if (this.forgetSlot === undefined) {
      this.forgetSlot = this.fn.slots.length;
      this.fn.slots.push({ id: this.forgetSlot, size: 8, align: 8, name: "forgotten value" });
    }
    const mem = { slot: this.forgetSlot, off: 0 }, size = range.u32 || range.s32 ? 4 : 8;
    this.emit(Asm.storeImm(size, mem, 0));
    this.emit(Asm.xadd(size, mem, src));
    this.emit(Asm.load(dst, size, mem));
    if (size === 8 || range.u32) return;
    if (this.v4) return this.emit(Asm.movsx(dst, dst, 32));
    this.emit(Asm.aluImm(ALU.LSH, dst, 32));
    this.emit(Asm.aluImm(ALU.ARSH, dst, 32));
  }

  mem(base: { reg: VReg } | { slot: number }, off: number): Mem {
    return "reg" in base ? { base: base.reg + FIRST_VREG, off } : { slot: base.slot, off };
  }

  /** A compare as (a, JMP code, src), of the low halves (w32) where compare32 allows. */
  compare(cmp: CmpOp, a: VReg, b: Operand): { a: Reg; cmp: number; b: Src; w32: boolean } {
    // A zero-extended 32-bit value compares as its low half, as the extension of itself,
    // where the 64-bit compare's immediate would need an ld_imm64 (2^31 and up).
    const self = isImm(b) && !fitsS32(BigInt.asIntN(64, b.imm)) && !this.narrow.has(a) && this.rangeAt(this.block, this.index, a).u32
      ? new Map([[a, { src: a, bits: 32 as const, signed: false }]]) : undefined;
    const n = compare32(cmp, a, b, this.narrow, this.known) ?? (self && compare32(cmp, a, b, self));
    if (n) return { a: n.a + FIRST_VREG, cmp: CMP_CODE[n.cmp], b: this.src(n.b), w32: true };
    return { a: a + FIRST_VREG, cmp: CMP_CODE[cmp], b: this.src(b), w32: false };
  }

  term(t: Terminator): MTerm {
    this.loc = t.loc;
    const withLoc = (m: MTerm): MTerm => (t.loc ? { ...m, loc: t.loc } : m);
    switch (t.op) {
      case "jmp": return withLoc(Asm.jmp(t.target));
      case "br": {
        const c = this.compare(t.cmp, t.a, t.b);
        return withLoc(Asm.br(c.cmp, c.a, c.b, t.then, t.else, c.w32));
      }
      case "ret":
        if (isImm(t.value)) this.constant(R0, t.value.imm);
        else this.mov(R0, t.value + FIRST_VREG);
        return withLoc(Asm.exit());
    }
  }
}

function selectBlock(sel: Selector, b: Block): MBlock {
  sel.out = [];
  sel.storedImms.clear();
  sel.block = b;
  b.insts.forEach((i, index) => {
    sel.index = index;
    sel.inst(i);
    if (i.op === "call") sel.storedImms.clear();
  });
  sel.index = b.insts.length;
  const term = sel.term(b.term);
  return { id: b.id, insts: sel.out, term };
}

function targets(t: Terminator): number[] {
  return t.op === "jmp" ? [t.target] : t.op === "br" ? [t.then, t.else] : [];
}

export function selectInstructions(fn: IrFunction, cpu: CpuVersion): MFunction {
  if (fn.blocks.length === 0) throw new BackendError("ir", `function ${fn.name} has no blocks`, fn.loc);
  const ids = new Set(fn.blocks.map((b) => b.id));
  for (const b of fn.blocks) {
    for (const t of targets(b.term)) {
      if (!ids.has(t)) throw new BackendError("ir", `block ${b.id} jumps to missing block ${t}`, b.term.loc);
    }
  }
  const mf: MFunction = {
    name: fn.name,
    blocks: [],
    slots: fn.slots.map((s) => ({ ...s })),
    nextReg: fn.nextReg + FIRST_VREG,
    hints: new Map([...fn.hints].map(([v, p]) => [v + FIRST_VREG, p])),
    spillTemps: new Set(),
    ...(fn.loc ? { loc: fn.loc } : {}),
  };
  const v4 = cpu === "v4";
  const known = registerRanges(fn);
  const ranges = valueRanges(fn, known);
  const sel = new Selector(mf, v4, v4 ? signExtendedLoads(fn) : new Set(), storeImmediates(fn, slotPointers(fn)), narrowExtensions(fn, known), known, branchFreeCompares(fn, ranges), ranges);
  mf.blocks = fn.blocks.map((b) => selectBlock(sel, b));

  // The arguments arrive in R1..R5. If the entry block is also a jump target, their
  // copies go in a block of its own so they run once.
  if (fn.params.length > ARG_REGS.length) throw new BackendError("ir", `function ${fn.name} takes ${fn.params.length} arguments; BPF passes at most 5`, fn.loc);
  const entry = fn.blocks[0]!;
  const copies: MInst[] = fn.params.map((p, n) => ({ ...Asm.mov(p + FIRST_VREG, ARG_REGS[n]!), ...(fn.loc ? { loc: fn.loc } : {}) }));
  const entryIsTarget = fn.blocks.some((b) => targets(b.term).includes(entry.id));
  if (entryIsTarget) {
    const id = Math.max(...fn.blocks.map((b) => b.id)) + 1;
    mf.blocks.unshift({ id, insts: copies, term: Asm.jmp(entry.id) });
  } else {
    mf.blocks[0]!.insts.unshift(...copies);
  }
  return mf;
}
