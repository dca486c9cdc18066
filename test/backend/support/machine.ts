// Test support: a small BPF machine to run the backend's output (CPU v4: sign-extending
// loads and moves, signed division, byte swaps, jmp32, store-immediate). It checks what the
// kernel verifier would: reading a register never written (or clobbered by a helper call),
// reading stack bytes never written, a frame-pointer write, a stack access outside [-512, 0).
// In: MachineCode, a context buffer, helper implementations. Out: R0 at exit, the helper
// calls made (arguments as the helper saw them), and the number of instructions executed.

import { ALU, CLS, JMP, MODE, SRC, type Insn } from "../../../compiler/bpf/insn.js";
import type { MachineCode } from "../../../compiler/backend/output.js";

const U64 = (1n << 64n) - 1n;
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

interface Region { name: string; base: bigint; bytes: Uint8Array; init?: Uint8Array }

/** Byte-addressed memory made of named regions; the stack region tracks initialized bytes. */
export class Memory {
  private readonly regions: Region[] = [];
  private next = 0x1000_0000n;

  add(name: string, bytes: Uint8Array, trackInit = false): bigint {
    const base = this.next;
    this.next += 0x1000_0000n;
    this.regions.push({ name, base, bytes, ...(trackInit ? { init: new Uint8Array(bytes.length) } : {}) });
    return base;
  }

  private find(addr: bigint, size: number): { r: Region; off: number } {
    for (const r of this.regions) {
      if (addr >= r.base && addr + BigInt(size) <= r.base + BigInt(r.bytes.length)) return { r, off: Number(addr - r.base) };
    }
    throw new Error(`memory access of ${size} bytes at 0x${addr.toString(16)} is outside every region`);
  }

  read(addr: bigint, size: number): bigint {
    const { r, off } = this.find(addr, size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) {
      if (r.init && !r.init[off + k]) throw new Error(`read of uninitialized ${r.name} byte at offset ${off + k}`);
      v = (v << 8n) | BigInt(r.bytes[off + k]!);
    }
    return v;
  }

  write(addr: bigint, size: number, value: bigint): void {
    const { r, off } = this.find(addr, size);
    for (let k = 0; k < size; k++) {
      r.bytes[off + k] = Number((value >> BigInt(8 * k)) & 0xffn);
      if (r.init) r.init[off + k] = 1;
    }
  }
}

export interface HelperCall { id: number; args: bigint[] }

export interface Helpers {
  /** Number of arguments each helper reads (R1..Rn). */
  arity: Record<number, number>;
  call(id: number, args: bigint[], mem: Memory): bigint;
}

export interface RunResult { r0: bigint; calls: HelperCall[]; steps: number }

export interface Env {
  mem: Memory;
  ctx: bigint;
  /** Address of each map, by name. */
  maps: Map<string, bigint>;
  helpers: Helpers;
}

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** a op b on unsigned operands of `bits` bits; `signed` (off 1) for sdiv and smod. */
function aluOp(op: number, a: bigint, b: bigint, bits: 32 | 64, signed: boolean): bigint {
  const sx = (v: bigint): bigint => BigInt.asIntN(bits, v);
  switch (op) {
    case ALU.ADD: return a + b;
    case ALU.SUB: return a - b;
    case ALU.MUL: return a * b;
    case ALU.DIV:
      if (b === 0n) return 0n;
      return signed ? sx(a) / sx(b) : a / b;
    case ALU.MOD:
      if (b === 0n) return a;
      return signed ? sx(a) % sx(b) : a % b;
    case ALU.OR: return a | b;
    case ALU.AND: return a & b;
    case ALU.XOR: return a ^ b;
    case ALU.LSH: return a << (b & BigInt(bits - 1));
    case ALU.RSH: return a >> (b & BigInt(bits - 1));
    case ALU.ARSH: return sx(a) >> (b & BigInt(bits - 1));
    case ALU.MOV: return b;
    default: throw new Error(`ALU op 0x${op.toString(16)} not supported`);
  }
}

/** The low `bits` bits of v with their byte order reversed. */
function byteSwap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let k = 0; k < bits / 8; k++) out = (out << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
  return out;
}

/** `op` on a and b as 64-bit values, or (jmp32) on their low halves. */
function cond(op: number, a: bigint, b: bigint, bits: 32 | 64): boolean {
  a = BigInt.asUintN(bits, a);
  b = BigInt.asUintN(bits, b);
  const sx = (v: bigint): bigint => BigInt.asIntN(bits, v);
  switch (op) {
    case JMP.JEQ: return a === b;
    case JMP.JNE: return a !== b;
    case JMP.JGT: return a > b;
    case JMP.JGE: return a >= b;
    case JMP.JLT: return a < b;
    case JMP.JLE: return a <= b;
    case JMP.JSGT: return sx(a) > sx(b);
    case JMP.JSGE: return sx(a) >= sx(b);
    case JMP.JSLT: return sx(a) < sx(b);
    case JMP.JSLE: return sx(a) <= sx(b);
    case JMP.JSET: return (a & b) !== 0n;
    default: throw new Error(`jump op 0x${op.toString(16)} not supported`);
  }
}

export function runBpf(code: MachineCode, env: Env, maxSteps = 1_000_000): RunResult {
  const insns: Insn[] = code.insns;
  // Slot index of each instruction, to follow jump offsets.
  const index = new Map<number, number>();
  const slotPos: number[] = [];
  let slot = 0;
  insns.forEach((i, k) => { index.set(slot, k); slotPos.push(slot); slot += i.imm64hi === undefined ? 1 : 2; });
  const slotOf = (k: number): number => slotPos[k]!;
  const mapAt = new Map(code.relocs.filter((r) => r.kind === "map").map((r) => [r.insn, r.symbol]));

  const stack = new Uint8Array(512);
  const stackBase = env.mem.add("stack", stack, true);
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  regs[1] = env.ctx;
  regs[10] = stackBase + 512n;
  const get = (r: number, k: number): bigint => {
    const v = regs[r];
    if (v === undefined) throw new Error(`insn ${k}: r${r} read before it is written`);
    return v;
  };
  const set = (r: number, v: bigint, k: number): void => {
    if (r === 10) throw new Error(`insn ${k}: write to r10`);
    regs[r] = u64(v);
  };
  const checkStack = (addr: bigint, size: number, k: number): void => {
    if (addr >= stackBase && addr < stackBase + 512n + 8n && addr + BigInt(size) > stackBase + 512n) {
      throw new Error(`insn ${k}: stack access beyond r10`);
    }
  };

  const calls: HelperCall[] = [];
  let pc = 0;
  for (let steps = 1; steps <= maxSteps; steps++) {
    const i = insns[pc];
    if (i === undefined) throw new Error(`fell off the end at insn ${pc}`);
    const k = pc;
    const cls = i.code & 7;
    let next = pc + 1;
    switch (cls) {
      case CLS.ALU64:
      case CLS.ALU: {
        const op = i.code & 0xf0;
        const bits = cls === CLS.ALU64 ? 64 : 32;
        const trunc = (v: bigint): bigint => BigInt.asUintN(bits, v);
        if (op === ALU.NEG) { set(i.dst, trunc(-get(i.dst, k)), k); break; }
        if (op === ALU.END) {
          if (cls === CLS.ALU && (i.code & SRC.X) === 0) set(i.dst, BigInt.asUintN(i.imm, get(i.dst, k)), k); // le: truncate
          else set(i.dst, byteSwap(get(i.dst, k), i.imm), k); // be (on little-endian) and bswap
          break;
        }
        const x = (i.code & SRC.X) !== 0;
        if (op === ALU.MOV && x && i.off !== 0) { set(i.dst, trunc(BigInt.asIntN(i.off, get(i.src, k))), k); break; } // movsx
        const b = x ? get(i.src, k) : u64(BigInt(i.imm));
        const a = op === ALU.MOV ? 0n : get(i.dst, k);
        set(i.dst, trunc(aluOp(op, trunc(a), trunc(b), bits, i.off === 1)), k);
        break;
      }
      case CLS.JMP32:
      case CLS.JMP: {
        const op = i.code & 0xf0;
        if (cls === CLS.JMP && op === JMP.EXIT) return { r0: get(0, k), calls, steps };
        if (cls === CLS.JMP && op === JMP.CALL) {
          const n = env.helpers.arity[i.imm];
          if (n === undefined) throw new Error(`insn ${k}: unknown helper ${i.imm}`);
          const args = Array.from({ length: n }, (_, a) => get(a + 1, k));
          calls.push({ id: i.imm, args });
          const r0 = env.helpers.call(i.imm, args, env.mem);
          for (let r = 1; r <= 5; r++) regs[r] = undefined;
          regs[0] = u64(r0);
          break;
        }
        const taken = op === JMP.JA || cond(op, get(i.dst, k), (i.code & SRC.X) !== 0 ? get(i.src, k) : u64(BigInt(i.imm)), cls === CLS.JMP ? 64 : 32);
        if (taken) {
          const t = index.get(slotOf(k) + 1 + (cls === CLS.JMP32 && op === JMP.JA ? i.imm : i.off));
          if (t === undefined) throw new Error(`insn ${k}: jump into the middle of an instruction or out of the program`);
          next = t;
        }
        break;
      }
      case CLS.LD: {
        const map = mapAt.get(k);
        if (map !== undefined) {
          const addr = env.maps.get(map);
          if (addr === undefined) throw new Error(`unknown map ${map}`);
          set(i.dst, addr, k);
        } else {
          set(i.dst, (BigInt(i.imm64hi! >>> 0) << 32n) | BigInt(i.imm >>> 0), k);
        }
        break;
      }
      case CLS.LDX: {
        const size = SIZE_BYTES[i.code & 0x18]!;
        const addr = u64(get(i.src, k) + BigInt(i.off));
        checkStack(addr, size, k);
        const v = env.mem.read(addr, size);
        set(i.dst, (i.code & 0xe0) === MODE.MEMSX ? BigInt.asIntN(8 * size, v) : v, k);
        break;
      }
      case CLS.ST: {
        const size = SIZE_BYTES[i.code & 0x18]!;
        const addr = u64(get(i.dst, k) + BigInt(i.off));
        checkStack(addr, size, k);
        env.mem.write(addr, size, BigInt(i.imm));
        break;
      }
      case CLS.STX: {
        const size = SIZE_BYTES[i.code & 0x18]!;
        const addr = u64(get(i.dst, k) + BigInt(i.off));
        checkStack(addr, size, k);
        const v = get(i.src, k);
        if ((i.code & 0xe0) === MODE.ATOMIC) {
          if (i.imm !== ALU.ADD) throw new Error(`atomic op ${i.imm} not supported`);
          env.mem.write(addr, size, env.mem.read(addr, size) + v);
        } else {
          env.mem.write(addr, size, v);
        }
        break;
      }
      default:
        throw new Error(`insn ${k}: class ${cls} not supported`);
    }
    pc = next;
  }
  throw new Error(`did not exit within ${maxSteps} steps`);
}

export { U64 };
