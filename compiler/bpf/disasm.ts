// The BPF disassembler: instructions back to text, in exactly the syntax llvm-objdump 14
// prints (the "C-like" BPF assembly of LLVM's BPFInstPrinter), and a whole-program listing
// with the probe file's source lines interleaved, as `llvm-objdump -d -S` shows it, and
// what the numbers stand for named after the instruction as `<name>`, where objdump puts
// a jump's target: a helper call's helper, a map or global load's symbol, a subprogram
// call's callee.
// In: Insn values (from the backend, or decode() of object bytes), optionally the source
// text, a line table and the relocations. Out: strings. Encodings LLVM 14 cannot decode (BPF_ST, BPF_MOD,
// JSET, 32-bit atomics other than add, CPU v4 instructions) print as "<unknown>", like objdump.

import { helperName } from "../helpers.js";
import { ALU, CLS, JMP, MODE, SZ, encode, isLdImm64, slots, type Insn } from "./insn.js";

const ALU_OPS: Record<number, string> = {
  [ALU.ADD]: "+=", [ALU.SUB]: "-=", [ALU.MUL]: "*=", [ALU.DIV]: "/=", [ALU.OR]: "|=",
  [ALU.AND]: "&=", [ALU.LSH]: "<<=", [ALU.RSH]: ">>=", [ALU.XOR]: "^=", [ALU.MOV]: "=",
  [ALU.ARSH]: "s>>=",
};

const JMP_OPS: Record<number, string> = {
  [JMP.JEQ]: "==", [JMP.JGT]: ">", [JMP.JGE]: ">=", [JMP.JNE]: "!=", [JMP.JSGT]: "s>",
  [JMP.JSGE]: "s>=", [JMP.JLT]: "<", [JMP.JLE]: "<=", [JMP.JSLT]: "s<", [JMP.JSLE]: "s<=",
};

const SIZE_NAME: Record<number, string> = { [SZ.W]: "u32", [SZ.H]: "u16", [SZ.B]: "u8", [SZ.DW]: "u64" };

const ATOMIC_OPS: Record<number, string> = { 0x00: "+=", 0x40: "|=", 0x50: "&=", 0xa0: "^=" };
const ATOMIC_FETCH: Record<number, string> = { 0x01: "add", 0x41: "or", 0x51: "and", 0xa1: "xor" };

const UNKNOWN = "<unknown>";

/** "+ 8" / "- 8" as in "(r1 + 8)". */
function memOff(off: number): string {
  return off < 0 ? `- ${-off}` : `+ ${off}`;
}

/** A jump offset as objdump prints it: "+5", "-3", "+0". */
function jumpOff(off: number): string {
  return off < 0 ? `${off}` : `+${off}`;
}

/** The 64-bit immediate of an ld_imm64, as a signed decimal. */
export function ldImm64Value(insn: Insn): bigint {
  const lo = BigInt(insn.imm >>> 0);
  const hi = BigInt((insn.imm64hi ?? 0) >>> 0);
  return BigInt.asIntN(64, (hi << 32n) | lo);
}

function formatAlu(i: Insn, cls: number): string {
  const r = cls === CLS.ALU64 ? "r" : "w";
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  if (op === ALU.NEG) return x ? UNKNOWN : `${r}${i.dst} = -${r}${i.dst}`;
  if (op === ALU.END) {
    if (cls !== CLS.ALU || ![16, 32, 64].includes(i.imm)) return UNKNOWN;
    return `r${i.dst} = ${x ? "be" : "le"}${i.imm} r${i.dst}`;
  }
  const sym = ALU_OPS[op];
  if (sym === undefined) return UNKNOWN;
  return `${r}${i.dst} ${sym} ${x ? `${r}${i.src}` : `${i.imm}`}`;
}

function formatJmp(i: Insn, cls: number): string {
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  if (cls === CLS.JMP) {
    if (op === JMP.JA) return x ? UNKNOWN : `goto ${jumpOff(i.off)}`;
    if (op === JMP.CALL) return x ? `callx r${i.imm}` : `call ${i.imm}`;
    if (op === JMP.EXIT) return !x && i.dst === 0 && i.src === 0 && i.off === 0 && i.imm === 0 ? "exit" : UNKNOWN;
  }
  const sym = JMP_OPS[op];
  if (sym === undefined) return UNKNOWN;
  const r = cls === CLS.JMP ? "r" : "w";
  return `if ${r}${i.dst} ${sym} ${x ? `${r}${i.src}` : `${i.imm}`} goto ${jumpOff(i.off)}`;
}

function formatLd(i: Insn): string {
  if (isLdImm64(i.code)) {
    if (i.src !== 0) return `ld_pseudo\tr${i.dst}, ${i.src}, ${i.imm}`;
    return `r${i.dst} = ${ldImm64Value(i)} ll`;
  }
  const mode = i.code & 0xe0;
  const size = SIZE_NAME[i.code & 0x18];
  if ((i.code & 0x18) === SZ.DW) return UNKNOWN;
  if (mode === 0x20) return `r0 = *(${size} *)skb[${i.imm}]`;
  if (mode === 0x40) return `r0 = *(${size} *)skb[r${i.src}]`;
  return UNKNOWN;
}

function formatStx(i: Insn): string {
  const mode = i.code & 0xe0;
  const sz = i.code & 0x18;
  const size = SIZE_NAME[sz];
  const mem = `(r${i.dst} ${memOff(i.off)})`;
  if (mode === MODE.MEM) return `*(${size} *)${mem} = r${i.src}`;
  if (mode !== MODE.ATOMIC) return UNKNOWN;
  if (sz === SZ.W) return i.imm === 0x00 || i.imm === 0x01 ? `lock *(u32 *)${mem} += r${i.src}` : UNKNOWN;
  if (sz !== SZ.DW) return UNKNOWN;
  const lockOp = ATOMIC_OPS[i.imm];
  if (lockOp !== undefined) return `lock *(u64 *)${mem} ${lockOp} r${i.src}`;
  const fetch = ATOMIC_FETCH[i.imm];
  if (fetch !== undefined) return `r${i.src} = atomic_fetch_${fetch}((u64 *)${mem}, r${i.src})`;
  if (i.imm === 0xe1) return `r${i.src} = xchg_64(r${i.dst} ${memOff(i.off)}, r${i.src})`;
  if (i.imm === 0xf1) return `r0 = cmpxchg_64(r${i.dst} ${memOff(i.off)}, r0, r${i.src})`;
  return UNKNOWN;
}

/** One instruction in llvm-objdump 14 syntax, e.g. `r2 = *(u64 *)(r1 + 112)`. */
export function formatInsn(i: Insn): string {
  const cls = i.code & 0x07;
  switch (cls) {
    case CLS.ALU:
    case CLS.ALU64:
      return formatAlu(i, cls);
    case CLS.JMP:
    case CLS.JMP32:
      return formatJmp(i, cls);
    case CLS.LD:
      return formatLd(i);
    case CLS.LDX:
      if ((i.code & 0xe0) !== MODE.MEM) return UNKNOWN;
      return `r${i.dst} = *(${SIZE_NAME[i.code & 0x18]} *)(r${i.src} ${memOff(i.off)})`;
    case CLS.STX:
      return formatStx(i);
    default:
      return UNKNOWN; // BPF_ST: LLVM 14 has no store-immediate instructions
  }
}

/** True if the instruction is a jump with a pc-relative target (not call/exit). */
export function isRelativeJump(i: Insn): boolean {
  const cls = i.code & 0x07;
  if (cls !== CLS.JMP && cls !== CLS.JMP32) return false;
  const op = i.code & 0xf0;
  return op !== JMP.CALL && op !== JMP.EXIT && formatInsn(i) !== UNKNOWN;
}

export interface ListingOptions {
  /** The probe file's text, or its lines (split once for many programs); with `lines`,
   *  each instruction run is headed by its source line. */
  source?: string | readonly string[];
  /** The line table of the program (MachineCode.lines): source location by insn index. */
  lines?: { insn: number; line: number; col?: number }[];
  /** The program's symbol: prints the `<name>:` header and `<name+0x..>` after jumps,
   *  as llvm-objdump does for an object with a function symbol. */
  symbol?: string;
  /** The function's relocations (MachineCode.relocs: instructions, by index, that refer
   *  to a symbol). Given, the listing names what the numbers stand for: an instruction
   *  with a relocation is followed by `<symbol>`, a helper call by `<bpf_helper_name>`.
   *  Without, the listing is exactly llvm-objdump -d's. */
  relocs?: readonly { insn: number; symbol: string }[];
  /** Where the function starts in its section, in 8-byte slots (default 0). The index
   *  column and the `<symbol>:` header's address count from the section's start, as
   *  llvm-objdump numbers a section that holds several functions (.text). */
  base?: number;
}

/** The name of the helper a `call N` instruction calls, when the compiler knows it. */
function calledHelper(i: Insn): string | undefined {
  return i.code === (CLS.JMP | JMP.CALL) && i.src === 0 ? helperName(i.imm) : undefined;
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/**
 * A program listing in llvm-objdump's layout: instruction index (in 8-byte slots) right-
 * aligned to 8 columns, a colon, a tab, the encoded bytes, a tab, the text. With source and
 * lines given, a `; <source line>` comment precedes the instructions of each line, as
 * `llvm-objdump -S` prints it.
 */
export function formatListing(insns: Insn[], opts: ListingOptions = {}): string {
  const out: string[] = [];
  const srcLines = typeof opts.source === "string" ? opts.source.split(/\r?\n/) : opts.source;
  const lineAt = new Map<number, number>();
  for (const l of opts.lines ?? []) lineAt.set(l.insn, l.line);
  const symbolAt = opts.relocs && new Map(opts.relocs.map((r) => [r.insn, r.symbol]));
  const base = opts.base ?? 0;
  if (opts.symbol !== undefined) out.push(`${(base * 8).toString(16).padStart(16, "0")} <${opts.symbol}>:`);
  let slot = 0;
  let lastLine = -1;
  insns.forEach((insn, idx) => {
    const line = lineAt.get(idx);
    if (line !== undefined && line !== lastLine && srcLines !== undefined) {
      lastLine = line;
      const text = srcLines[line - 1];
      if (text !== undefined) out.push(`; ${text}`);
    }
    let text = formatInsn(insn);
    const named = symbolAt && (symbolAt.get(idx) ?? calledHelper(insn));
    if (named !== undefined) text += ` <${named}>`;
    else if (opts.symbol !== undefined && isRelativeJump(insn)) {
      const target = (slot + 1 + insn.off) * 8;
      text += target === 0 ? ` <${opts.symbol}>` : ` <${opts.symbol}+0x${target.toString(16)}>`;
    }
    out.push(`${String(base + slot).padStart(8)}:\t${hexBytes(encode([insn]))}\t${text}`);
    slot += slots(insn);
  });
  return out.join("\n") + "\n";
}
