// Final lowering: allocated machine IR to BPF instructions. Pseudo-instructions expand here,
// blocks are placed, branches point at the next block by fallthrough wherever they can, and
// only when no instruction will be added or removed any more are labels turned into offsets.
// In: an MFunction whose registers are all physical, and its frame layout.
// Out: MachineCode (instructions, map relocations, line table, CO-RE relocations, stack size).
//
// Branch placement: `br` to (then, else) with `then` next becomes the inverted compare to
// `else`; with `else` next, the compare to `then`; otherwise (or for JSET, which has no
// inverse) the compare plus a `goto`.
// Empty blocks that only jump are threaded through; unreachable blocks are dropped.

import { ALU, CLS, JMP, MODE, PSEUDO_CALL, SRC, SZ, slots, type Insn } from "../bpf/insn.js";
import type { Loc, Size } from "../ir/ir.js";
import type { MachineCode } from "./output.js";
import { BackendError } from "./errors.js";
import type { Frame } from "./frame.js";
import { fitsS32 } from "./imm.js";
import { sequentializeMoves } from "./parmove.js";
import { CALLER_SAVED, FP, successors, type MBlock, type MFunction, type MInst, type MTerm, type Mem, type Reg, type Src } from "./mir.js";

/** src_reg of a map- or global-loading ld_imm64 in the object. clang writes 0 and libbpf
 *  sets BPF_PSEUDO_MAP_FD (or _VALUE) when it patches in the map's fd; with 0,
 *  llvm-objdump prints the familiar `r1 = 0 ll` instead of `ld_pseudo r1, 1, 0`. */
export const MAP_LOAD_SRC_REG = 0;

const SIZE_CODE: Record<Size, number> = { 1: SZ.B, 2: SZ.H, 4: SZ.W, 8: SZ.DW };

export const INVERTED: Partial<Record<number, number>> = {
  [JMP.JEQ]: JMP.JNE, [JMP.JNE]: JMP.JEQ,
  [JMP.JGT]: JMP.JLE, [JMP.JLE]: JMP.JGT, [JMP.JGE]: JMP.JLT, [JMP.JLT]: JMP.JGE,
  [JMP.JSGT]: JMP.JSLE, [JMP.JSLE]: JMP.JSGT, [JMP.JSGE]: JMP.JSLT, [JMP.JSLT]: JMP.JSGE,
};

const I = {
  mov: (dst: Reg, src: Reg): Insn => ({ code: CLS.ALU64 | ALU.MOV | SRC.X, dst, src, off: 0, imm: 0 }),
  movImm: (dst: Reg, imm: number): Insn => ({ code: CLS.ALU64 | ALU.MOV | SRC.K, dst, src: 0, off: 0, imm }),
  /** `signed` (off 1): sdiv and smod. */
  alu: (op: number, dst: Reg, src: Reg, w32 = false, signed = false): Insn => ({ code: (w32 ? CLS.ALU : CLS.ALU64) | op | SRC.X, dst, src, off: signed ? 1 : 0, imm: 0 }),
  aluImm: (op: number, dst: Reg, imm: number, w32 = false, signed = false): Insn => ({ code: (w32 ? CLS.ALU : CLS.ALU64) | op | SRC.K, dst, src: 0, off: signed ? 1 : 0, imm }),
  ld64: (dst: Reg, value: bigint, src = 0): Insn => ({
    code: CLS.LD | SZ.DW | MODE.IMM, dst, src, off: 0,
    imm: Number(BigInt.asIntN(32, value)), imm64hi: Number(BigInt.asIntN(32, value >> 32n)),
  }),
  jmp: (cmp: number, a: Reg, b: Src, off: number, w32 = false): Insn =>
    "reg" in b
      ? { code: (w32 ? CLS.JMP32 : CLS.JMP) | cmp | SRC.X, dst: a, src: b.reg, off, imm: 0 }
      : { code: (w32 ? CLS.JMP32 : CLS.JMP) | cmp | SRC.K, dst: a, src: 0, off, imm: b.imm },
  ja: (): Insn => ({ code: CLS.JMP | JMP.JA, dst: 0, src: 0, off: 0, imm: 0 }),
  call: (helper: number): Insn => ({ code: CLS.JMP | JMP.CALL, dst: 0, src: 0, off: 0, imm: helper }),
  /** A BPF-to-BPF call; libbpf resolves the target from the relocation (imm -1: the
   *  relocated symbol's first instruction, as clang writes it). */
  callFn: (): Insn => ({ code: CLS.JMP | JMP.CALL, dst: 0, src: PSEUDO_CALL, off: 0, imm: -1 }),
  exit: (): Insn => ({ code: CLS.JMP | JMP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }),
};

/** Threads jumps through empty blocks, folds same-target branches, drops unreachable blocks. */
export function simplifyCfg(fn: MFunction): void {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  const forward = (id: number): number => {
    const seen = new Set<number>();
    let b = byId.get(id)!;
    while (b.insts.length === 0 && b.term.k === "jmp" && !seen.has(b.id) && b !== fn.blocks[0]) {
      seen.add(b.id);
      b = byId.get(b.term.target)!;
    }
    return b.id;
  };
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.k === "jmp") b.term = { ...t, target: forward(t.target) };
    else if (t.k === "br") {
      const then = forward(t.then), els = forward(t.else);
      b.term = then === els ? { k: "jmp", target: then, ...(t.loc ? { loc: t.loc } : {}) } : { ...t, then, else: els };
    }
  }
  const reach = new Set<number>();
  const work = [fn.blocks[0]!.id];
  while (work.length > 0) {
    const id = work.pop()!;
    if (reach.has(id)) continue;
    reach.add(id);
    work.push(...successors(byId.get(id)!.term));
  }
  fn.blocks = fn.blocks.filter((b) => reach.has(b.id));
}

interface Emitted { insn: Insn; loc?: Loc }

class Emitter {
  readonly out: Emitted[] = [];
  readonly fixups: { at: number; block: number }[] = [];
  readonly relocs: MachineCode["relocs"] = [];
  readonly coreRelos: MachineCode["coreRelos"] = [];
  loc: Loc | undefined;

  constructor(private readonly frame: Frame) {}

  push(insn: Insn): number {
    this.out.push(this.loc ? { insn, loc: this.loc } : { insn });
    return this.out.length - 1;
  }

  jumpTo(insn: Insn, block: number): void {
    this.fixups.push({ at: this.push(insn), block });
  }

  slotOff(slot: number, off: number): number {
    const base = this.frame.offsets.get(slot);
    if (base === undefined) throw new BackendError("ir", `stack slot ${slot} is not declared`, this.loc);
    return base + off;
  }

  mem(m: Mem): { base: Reg; off: number } {
    return "base" in m ? m : { base: FP, off: this.slotOff(m.slot, m.off) };
  }

  inst(i: MInst): void {
    this.loc = i.loc;
    switch (i.k) {
      case "mov": if (i.dst !== i.src) this.push(I.mov(i.dst, i.src)); return;
      case "movi": {
        const at = this.push(I.movImm(i.dst, i.imm));
        if (i.core) this.coreRelos.push({ insn: at, tag: i.core });
        return;
      }
      case "ld64": {
        const at = this.push(I.ld64(i.dst, i.value));
        if (i.core) this.coreRelos.push({ insn: at, tag: i.core });
        return;
      }
      case "ldsym":
        this.relocs.push({ insn: this.push(I.ld64(i.dst, 0n, MAP_LOAD_SRC_REG)), kind: i.kind, symbol: i.symbol });
        return;
      case "alu": this.push(I.alu(i.op, i.dst, i.src, i.w32, i.signed)); return;
      case "alui": {
        const at = this.push(I.aluImm(i.op, i.dst, i.imm, i.w32, i.signed));
        if (i.core) this.coreRelos.push({ insn: at, tag: i.core });
        return;
      }
      case "neg": this.push({ code: CLS.ALU64 | ALU.NEG | SRC.K, dst: i.dst, src: 0, off: 0, imm: 0 }); return;
      case "zext32": this.push({ code: CLS.ALU | ALU.MOV | SRC.X, dst: i.dst, src: i.src, off: 0, imm: 0 }); return;
      case "movsx": this.push({ code: CLS.ALU64 | ALU.MOV | SRC.X, dst: i.dst, src: i.src, off: i.bits, imm: 0 }); return;
      case "addr": {
        const off = this.slotOff(i.slot, i.off);
        this.push(I.mov(i.dst, FP));
        if (off !== 0) this.push(I.aluImm(ALU.ADD, i.dst, off));
        return;
      }
      case "ldx": {
        const m = this.mem(i.mem);
        this.push({ code: CLS.LDX | SIZE_CODE[i.size] | (i.signed ? MODE.MEMSX : MODE.MEM), dst: i.dst, src: m.base, off: m.off, imm: 0 });
        return;
      }
      case "stx": {
        const m = this.mem(i.mem);
        this.push({ code: CLS.STX | SIZE_CODE[i.size] | MODE.MEM, dst: m.base, src: i.src, off: m.off, imm: 0 });
        return;
      }
      case "st": {
        const m = this.mem(i.mem);
        this.push({ code: CLS.ST | SIZE_CODE[i.size] | MODE.MEM, dst: m.base, src: 0, off: m.off, imm: i.imm });
        return;
      }
      case "xadd": {
        const m = this.mem(i.mem);
        this.push({ code: CLS.STX | SIZE_CODE[i.size] | MODE.ATOMIC, dst: m.base, src: i.src, off: m.off, imm: ALU.ADD });
        return;
      }
      case "setcc":
        this.push(I.movImm(i.dst, 1));
        this.push(I.jmp(i.cmp, i.a, i.b, 1, i.w32));
        this.push(I.movImm(i.dst, 0));
        return;
      case "args": {
        // Immediates go in after the moves, so their registers are free scratch too.
        for (const m of sequentializeMoves(i.moves, CALLER_SAVED)) this.push(I.mov(m.dst, m.src));
        for (const m of i.imms) {
          const v = m.value;
          this.push(fitsS32(v) ? I.movImm(m.dst, Number(v)) : I.ld64(m.dst, v));
        }
        return;
      }
      case "call":
        if ("fn" in i) this.relocs.push({ insn: this.push(I.callFn()), kind: "call", symbol: i.fn });
        else this.push(I.call(i.helper));
        return;
    }
  }

  term(t: MTerm, next: number | undefined): void {
    this.loc = t.loc;
    switch (t.k) {
      case "exit": this.push(I.exit()); return;
      case "jmp": if (t.target !== next) this.jumpTo(I.ja(), t.target); return;
      case "br":
        if (t.then === next && INVERTED[t.cmp] !== undefined) {
          this.jumpTo(I.jmp(INVERTED[t.cmp]!, t.a, t.b, 0, t.w32), t.else);
        } else {
          this.jumpTo(I.jmp(t.cmp, t.a, t.b, 0, t.w32), t.then);
          if (t.else !== next) this.jumpTo(I.ja(), t.else);
        }
        return;
    }
  }
}

/** How many instructions term() emits for a terminator with `next` the block after it. */
export function termLength(t: MTerm, next: number | undefined): number {
  switch (t.k) {
    case "exit": return 1;
    case "jmp": return t.target === next ? 0 : 1;
    case "br": return (t.then === next && INVERTED[t.cmp] !== undefined) || t.else === next ? 1 : 2;
  }
}

function lineTable(code: Emitted[], fallback?: Loc): MachineCode["lines"] {
  const lines: MachineCode["lines"] = [];
  let cur = code.find((e) => e.loc)?.loc ?? fallback;
  if (cur === undefined) return lines;
  code.forEach((e, k) => {
    const loc = e.loc ?? cur!;
    if (k === 0 || loc.line !== cur!.line || loc.col !== cur!.col) lines.push({ insn: k, line: loc.line, col: loc.col });
    cur = loc;
  });
  return lines;
}

/** Places the blocks and encodes everything; the MFunction must be fully allocated. */
export function emitMachineCode(fn: MFunction, frame: Frame): MachineCode {
  simplifyCfg(fn);
  const em = new Emitter(frame);
  const start = new Map<number, number>();
  fn.blocks.forEach((b: MBlock, k) => {
    start.set(b.id, em.out.length);
    for (const i of b.insts) em.inst(i);
    em.term(b.term, fn.blocks[k + 1]?.id);
  });

  // No instruction is added or removed after this point: labels become offsets.
  const slotAt: number[] = [];
  let pos = 0;
  for (const e of em.out) { slotAt.push(pos); pos += slots(e.insn); }
  for (const f of em.fixups) {
    const target = start.get(f.block)!;
    const off = (slotAt[target] ?? pos) - (slotAt[f.at]! + 1);
    if (off < -0x8000 || off > 0x7fff) {
      throw new BackendError("range", `${fn.name}: a jump spans ${off} instructions, beyond BPF's 16-bit offset`, em.out[f.at]!.loc);
    }
    em.out[f.at]!.insn.off = off;
  }

  return {
    insns: em.out.map((e) => e.insn),
    relocs: em.relocs,
    lines: lineTable(em.out, fn.loc),
    coreRelos: em.coreRelos,
    stackSize: frame.size,
  };
}
