// Machine IR: BPF instructions on registers that are still virtual, with symbolic jump
// targets (block ids), symbolic stack slots, and a few pseudo-instructions that expand only
// after register allocation (setcc, addr, the call-argument parallel copy).
// In: built by isel.ts. Changed by regalloc.ts (spill code, then physical registers).
// Out: read by emit.ts, which turns it into Insn[] with numeric offsets.
//
// Registers are numbers: 0..10 are the physical R0..R10 (R10 is the read-only frame
// pointer and is never allocated), FIRST_VREG and up are virtual. Two-address form, as
// BPF itself: `alu ADD dst, src` means dst += src.

import type { Size, Loc, CoreTag } from "../ir/ir.js";

export type Reg = number;

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
export const R6 = 6, R7 = 7, R8 = 8, R9 = 9, FP = 10;
/** R0..R9 are allocatable. */
export const NUM_COLORS = 10;
/** Every color, as a bit set (bit r for register r). */
export const ALL_COLORS = (1 << NUM_COLORS) - 1;
/** The allocator's color preference when nothing else decides: argument registers first,
 *  callee-saved last. */
export const COLOR_ORDER: readonly Reg[] = [R1, R2, R3, R4, R5, R0, R6, R7, R8, R9];
export const FIRST_VREG = 16;
/** Registers a helper call clobbers. */
export const CALLER_SAVED: readonly Reg[] = [R0, R1, R2, R3, R4, R5];
/** Argument registers, in order. */
export const ARG_REGS: readonly Reg[] = [R1, R2, R3, R4, R5];

export function isPhys(r: Reg): boolean {
  return r < FIRST_VREG;
}

/** A memory operand: a register base, or a stack slot (R10-relative once the frame is laid out). */
export type Mem = { base: Reg; off: number } | { slot: number; off: number };

/** The second operand of a compare: a register or an s32 immediate. */
export type Src = { reg: Reg } | { imm: number };

export type MInst = (
  | { k: "mov"; dst: Reg; src: Reg }
  /** A `core` immediate is relocated by libbpf (never rematerialized or changed). */
  | { k: "movi"; dst: Reg; imm: number; core?: CoreTag }
  /** A `core` ld_imm64 is an enumerator's value or existence, relocated by libbpf. */
  | { k: "ld64"; dst: Reg; value: bigint; core?: CoreTag }
  /** dst = the address of a map or a global (ld_imm64 relocated against the symbol). */
  | { k: "ldsym"; dst: Reg; kind: "map" | "data"; symbol: string }
  /** dst op= src (ALU64, or the 32-bit ALU with w32). `op` is an ALU.* constant; `signed`
   *  makes DIV and MOD signed (CPU v4). */
  | { k: "alu"; op: number; dst: Reg; src: Reg; w32?: boolean; signed?: boolean }
  /** dst op= imm (ALU64, or 32-bit with w32); a `core` instruction is relocated by libbpf. */
  | { k: "alui"; op: number; dst: Reg; imm: number; core?: CoreTag; w32?: boolean; signed?: boolean }
  | { k: "neg"; dst: Reg }
  /** w dst = w src: the low 32 bits, zero-extended. */
  | { k: "zext32"; dst: Reg; src: Reg }
  /** dst = (s<bits>) src: the low `bits` bits, sign-extended (CPU v4). */
  | { k: "movsx"; dst: Reg; src: Reg; bits: 8 | 16 | 32 }
  /** Pseudo: dst = R10 + (frame offset of slot) + off. */
  | { k: "addr"; dst: Reg; slot: number; off: number }
  /** A load, zero-extending; `signed`: sign-extending (CPU v4, sizes 1, 2 and 4). */
  | { k: "ldx"; dst: Reg; size: Size; mem: Mem; signed?: boolean }
  | { k: "stx"; size: Size; mem: Mem; src: Reg }
  /** *(size *)(mem) = imm (BPF_ST; for size 8, imm sign-extended). */
  | { k: "st"; size: Size; mem: Mem; imm: number }
  /** lock *(size *)(mem) += src */
  | { k: "xadd"; size: 4 | 8; mem: Mem; src: Reg }
  /** Pseudo: dst = (a cmp b) ? 1 : 0, `cmp` a JMP.* code (of the low halves with w32). dst
   *  is written before a and b are read (early clobber), so it must not share a register
   *  with them. */
  | { k: "setcc"; dst: Reg; cmp: number; a: Reg; b: Src; w32?: boolean }
  /** Pseudo: the parallel copy of a call's arguments into R1..R5 (dst are physical). */
  | { k: "args"; moves: { dst: Reg; src: Reg }[]; imms: { dst: Reg; value: bigint }[] }
  /** Call of a helper or a subprogram: reads R1..R(nargs), writes R0, clobbers R1..R5. */
  | ({ k: "call"; nargs: number } & ({ helper: number } | { fn: string }))
) & { loc?: Loc };

export type MTerm = (
  | { k: "jmp"; target: number }
  /** if a cmp b goto then else goto else; `cmp` a JMP.* code; w32: BPF_JMP32, a compare
   *  of the low halves. */
  | { k: "br"; cmp: number; a: Reg; b: Src; then: number; else: number; w32?: boolean }
  /** Returns R0. */
  | { k: "exit" }
) & { loc?: Loc };

export interface MBlock {
  id: number;
  insts: MInst[];
  term: MTerm;
}

export interface MSlot {
  id: number;
  size: number;
  align: number;
  name: string;
  /** Made by the register allocator for a spilled value. */
  spill?: boolean;
}

export interface MFunction {
  name: string;
  /** Layout order; blocks[0] is the entry. */
  blocks: MBlock[];
  slots: MSlot[];
  /** One past the highest register in use. */
  nextReg: Reg;
  /** Preferred physical register per virtual register. */
  hints: Map<Reg, Reg>;
  /** Virtual registers created by spilling (never spilled again). */
  spillTemps: Set<Reg>;
  loc?: Loc;
}

// ---- builders, in the spirit of cilium/ebpf's asm package --------------------------------

export const Asm = {
  mov: (dst: Reg, src: Reg): MInst => ({ k: "mov", dst, src }),
  movImm: (dst: Reg, imm: number): MInst => ({ k: "movi", dst, imm }),
  ld64: (dst: Reg, value: bigint): MInst => ({ k: "ld64", dst, value }),
  ldSym: (dst: Reg, kind: "map" | "data", symbol: string): MInst => ({ k: "ldsym", dst, kind, symbol }),
  alu: (op: number, dst: Reg, src: Reg, w32 = false): MInst => (w32 ? { k: "alu", op, dst, src, w32 } : { k: "alu", op, dst, src }),
  aluImm: (op: number, dst: Reg, imm: number, core?: CoreTag, w32 = false): MInst =>
    core ? { k: "alui", op, dst, imm, core } : w32 ? { k: "alui", op, dst, imm, w32 } : { k: "alui", op, dst, imm },
  neg: (dst: Reg): MInst => ({ k: "neg", dst }),
  zext32: (dst: Reg, src: Reg): MInst => ({ k: "zext32", dst, src }),
  movsx: (dst: Reg, src: Reg, bits: 8 | 16 | 32): MInst => ({ k: "movsx", dst, src, bits }),
  addr: (dst: Reg, slot: number, off: number): MInst => ({ k: "addr", dst, slot, off }),
  load: (dst: Reg, size: Size, mem: Mem, signed = false): MInst => (signed ? { k: "ldx", dst, size, mem, signed } : { k: "ldx", dst, size, mem }),
  store: (size: Size, mem: Mem, src: Reg): MInst => ({ k: "stx", size, mem, src }),
  storeImm: (size: Size, mem: Mem, imm: number): MInst => ({ k: "st", size, mem, imm }),
  xadd: (size: 4 | 8, mem: Mem, src: Reg): MInst => ({ k: "xadd", size, mem, src }),
  setcc: (dst: Reg, cmp: number, a: Reg, b: Src, w32 = false): MInst => (w32 ? { k: "setcc", dst, cmp, a, b, w32 } : { k: "setcc", dst, cmp, a, b }),
  call: (helper: number, nargs: number): MInst => ({ k: "call", helper, nargs }),
  callFn: (fn: string, nargs: number): MInst => ({ k: "call", fn, nargs }),
  jmp: (target: number): MTerm => ({ k: "jmp", target }),
  br: (cmp: number, a: Reg, b: Src, then: number, els: number, w32 = false): MTerm =>
    (w32 ? { k: "br", cmp, a, b, then, else: els, w32 } : { k: "br", cmp, a, b, then, else: els }),
  exit: (): MTerm => ({ k: "exit" }),
};

// ---- operands -------------------------------------------------------------------------

/** What an instruction that reads or writes no register returns: one shared array. */
const NONE: readonly Reg[] = [];

function memBase(m: Mem): readonly Reg[] {
  return "base" in m && m.base !== FP ? [m.base] : NONE;
}

/** Registers an instruction reads (R10 excluded). Shared arrays: not to be changed. */
export function instUses(i: MInst): readonly Reg[] {
  switch (i.k) {
    case "mov": case "zext32": case "movsx": return [i.src];
    case "movi": case "ld64": case "ldsym": case "addr": return NONE;
    case "alu": return [i.dst, i.src];
    case "alui": case "neg": return [i.dst];
    case "ldx": case "st": return memBase(i.mem);
    case "stx": case "xadd": return "base" in i.mem && i.mem.base !== FP ? [i.mem.base, i.src] : [i.src];
    case "setcc": return "reg" in i.b ? [i.a, i.b.reg] : [i.a];
    case "args": return i.moves.map((m) => m.src);
    case "call": return CALL_USES[i.nargs]!;
  }
}

/** The argument registers a call of n arguments reads, by n. */
const CALL_USES: readonly (readonly Reg[])[] = [0, 1, 2, 3, 4, 5].map((n) => ARG_REGS.slice(0, n));

/** Registers an instruction writes. Shared arrays: not to be changed. */
export function instDefs(i: MInst): readonly Reg[] {
  switch (i.k) {
    case "stx": case "st": case "xadd": return NONE;
    case "args": return [...i.moves.map((m) => m.dst), ...i.imms.map((m) => m.dst)];
    case "call": return CALLER_SAVED;
    default: return [i.dst];
  }
}

export function termUses(t: MTerm): readonly Reg[] {
  switch (t.k) {
    case "jmp": return NONE;
    case "br": return "reg" in t.b ? [t.a, t.b.reg] : [t.a];
    case "exit": return [R0];
  }
}

export function successors(t: MTerm): number[] {
  switch (t.k) {
    case "jmp": return [t.target];
    case "br": return t.then === t.else ? [t.then] : [t.then, t.else];
    case "exit": return [];
  }
}

/** Replaces every register r (R10 excepted) the instruction names with f(r), in place.
 *  For a renaming that maps every register it meets to a physical one (the allocator's
 *  colors): instructions may share a memory operand, which is then renamed once and
 *  stays right. Other renamings go through renameInst, which copies. */
export function renameRegs(i: MInst, f: (r: Reg) => Reg): void {
  switch (i.k) {
    case "mov": case "zext32": case "movsx": case "alu": i.dst = f(i.dst); i.src = f(i.src); return;
    case "movi": case "ld64": case "ldsym": case "addr": case "alui": case "neg": i.dst = f(i.dst); return;
    case "ldx": i.dst = f(i.dst); renameBase(i.mem, f); return;
    case "stx": case "xadd": renameBase(i.mem, f); i.src = f(i.src); return;
    case "st": renameBase(i.mem, f); return;
    case "setcc": i.dst = f(i.dst); i.a = f(i.a); if ("reg" in i.b) i.b.reg = f(i.b.reg); return;
    case "args":
      for (const m of i.moves) { m.dst = f(m.dst); m.src = f(m.src); }
      for (const m of i.imms) m.dst = f(m.dst);
      return;
    case "call": return;
  }
}

function renameBase(m: Mem, f: (r: Reg) => Reg): void {
  if ("base" in m && m.base !== FP) m.base = f(m.base);
}

/** A copy of the instruction with every register r (R10 excepted) replaced by f(r). */
export function renameInst(i: MInst, f: (r: Reg) => Reg): MInst {
  const c: MInst = { ...i };
  if ("mem" in c) c.mem = { ...c.mem };
  if (c.k === "setcc") c.b = { ...c.b };
  if (c.k === "args") { c.moves = c.moves.map((m) => ({ ...m })); c.imms = c.imms.map((m) => ({ ...m })); }
  renameRegs(c, f);
  return c;
}

/** The terminator with its registers renamed: a copy when it names any. */
export function renameTerm(t: MTerm, f: (r: Reg) => Reg): MTerm {
  return t.k === "br" ? { ...t, a: f(t.a), b: "reg" in t.b ? { reg: f(t.b.reg) } : t.b } : t;
}

// ---- printing (for dumps and test failure messages) -----------------------------------

export function regName(r: Reg): string {
  return isPhys(r) ? `r${r}` : `%${r - FIRST_VREG}`;
}

function memText(m: Mem): string {
  const base = "base" in m ? regName(m.base) : `slot${m.slot}`;
  return m.off < 0 ? `(${base} - ${-m.off})` : `(${base} + ${m.off})`;
}

function srcText(s: Src): string {
  return "reg" in s ? regName(s.reg) : `${s.imm}`;
}

const ALU_NAMES: Record<number, string> = {
  0x00: "+=", 0x10: "-=", 0x20: "*=", 0x30: "/=", 0x40: "|=", 0x50: "&=", 0x60: "<<=",
  0x70: ">>=", 0x90: "%=", 0xa0: "^=", 0xc0: "s>>=",
};
const CMP_NAMES: Record<number, string> = {
  0x10: "==", 0x20: ">", 0x30: ">=", 0x40: "&", 0x50: "!=", 0x60: "s>", 0x70: "s>=", 0xa0: "<",
  0xb0: "<=", 0xc0: "s<", 0xd0: "s<=",
};

export function printInst(i: MInst): string {
  const r = regName;
  switch (i.k) {
    case "mov": return `${r(i.dst)} = ${r(i.src)}`;
    case "movi": return `${r(i.dst)} = ${i.imm}`;
    case "ld64": return `${r(i.dst)} = ${i.value} ll${i.core ? " (core)" : ""}`;
    case "ldsym": return `${r(i.dst)} = ${i.kind} ${i.symbol}`;
    case "alu": return `${r(i.dst)} ${i.signed ? "s" : ""}${ALU_NAMES[i.op]}${i.w32 ? "32" : ""} ${r(i.src)}`;
    case "alui": return `${r(i.dst)} ${i.signed ? "s" : ""}${ALU_NAMES[i.op]}${i.w32 ? "32" : ""} ${i.imm}${i.core ? " (core)" : ""}`;
    case "neg": return `${r(i.dst)} = -${r(i.dst)}`;
    case "zext32": return `${r(i.dst)} = zext32 ${r(i.src)}`;
    case "movsx": return `${r(i.dst)} = (s${i.bits})${r(i.src)}`;
    case "addr": return `${r(i.dst)} = &slot${i.slot} + ${i.off}`;
    case "ldx": return `${r(i.dst)} = *(${i.signed ? "s" : "u"}${i.size * 8} *)${memText(i.mem)}`;
    case "stx": return `*(u${i.size * 8} *)${memText(i.mem)} = ${r(i.src)}`;
    case "st": return `*(u${i.size * 8} *)${memText(i.mem)} = ${i.imm}`;
    case "xadd": return `lock *(u${i.size * 8} *)${memText(i.mem)} += ${r(i.src)}`;
    case "setcc": return `${r(i.dst)} = ${r(i.a)} ${CMP_NAMES[i.cmp]}${i.w32 ? "32" : ""} ${srcText(i.b)}`;
    case "args":
      return `args ${[...i.moves.map((m) => `${r(m.dst)} <- ${r(m.src)}`), ...i.imms.map((m) => `${r(m.dst)} <- ${m.value}`)].join(", ")}`;
    case "call": return `call ${"fn" in i ? i.fn : i.helper}`;
  }
}

export function printTerm(t: MTerm): string {
  switch (t.k) {
    case "jmp": return `goto @${t.target}`;
    case "br": return `if ${regName(t.a)} ${CMP_NAMES[t.cmp]}${t.w32 ? "32" : ""} ${srcText(t.b)} goto @${t.then} else @${t.else}`;
    case "exit": return "exit";
  }
}

/** The whole function as text, one instruction a line, blocks headed `@id:`. */
export function printMFunction(fn: MFunction): string {
  const out: string[] = [`function ${fn.name}`];
  for (const b of fn.blocks) {
    out.push(`@${b.id}:`);
    for (const i of b.insts) out.push(`  ${printInst(i)}`);
    out.push(`  ${printTerm(b.term)}`);
  }
  return out.join("\n") + "\n";
}
