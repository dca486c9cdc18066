// The BPF disassembler: instructions back to text, in exactly the syntax llvm-objdump 19
// prints with --no-print-imm-hex (the "C-like" BPF assembly of LLVM's BPFInstPrinter,
// immediates in decimal as LLVM 14 printed them), and a whole-program listing with the
// probe file's source lines interleaved, as `llvm-objdump -d -S` shows it, and what the
// numbers stand for named after the instruction as `<name>`, where objdump puts a jump's
// target: a helper call's helper, a map or global load's symbol, a subprogram call's callee.
// In: Insn values (from the backend, or decode() of object bytes), optionally the source
// text, a line table and the relocations. Out: strings. Encodings LLVM 19 cannot decode
// (an ALU operation with a stray `off`, 32-bit atomics other than add, ...) print as
// "<unknown>", like objdump. CPU v4's instructions (sign-extending loads and moves, signed
// division, byte swaps, gotol) print as LLVM 19 prints them.

import { helperName } from "../helpers.js";
import { ALU, CLS, JMP, MODE, SZ, encode, isLdImm64, slots, type Insn } from "./insn.js";

const ALU_OPS: Record<number, string> = {
  [ALU.ADD]: "+=", [ALU.SUB]: "-=", [ALU.MUL]: "*=", [ALU.DIV]: "/=", [ALU.OR]: "|=",
  [ALU.AND]: "&=", [ALU.LSH]: "<<=", [ALU.RSH]: ">>=", [ALU.MOD]: "%=", [ALU.XOR]: "^=",
  [ALU.MOV]: "=", [ALU.ARSH]: "s>>=",
};

const JMP_OPS: Record<number, string> = {
  [JMP.JEQ]: "==", [JMP.JGT]: ">", [JMP.JGE]: ">=", [JMP.JSET]: "&", [JMP.JNE]: "!=",
  [JMP.JSGT]: "s>", [JMP.JSGE]: "s>=", [JMP.JLT]: "<", [JMP.JLE]: "<=", [JMP.JSLT]: "s<",
  [JMP.JSLE]: "s<=",
};

const SIZE_NAME: Record<number, string> = { [SZ.W]: "u32", [SZ.H]: "u16", [SZ.B]: "u8", [SZ.DW]: "u64" };
const SIGNED_SIZE_NAME: Record<number, string> = { [SZ.W]: "s32", [SZ.H]: "s16", [SZ.B]: "s8" };

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
    if (![16, 32, 64].includes(i.imm)) return UNKNOWN;
    if (cls === CLS.ALU) return `r${i.dst} = ${x ? "be" : "le"}${i.imm} r${i.dst}`;
    return x ? UNKNOWN : `r${i.dst} = bswap${i.imm} r${i.dst}`;
  }
  const src = x ? `${r}${i.src}` : `${i.imm}`;
  if ((op === ALU.DIV || op === ALU.MOD) && i.off === 1) return `${r}${i.dst} s${ALU_OPS[op]} ${src}`;
  if (op === ALU.MOV && x && i.off !== 0) {
    // movsx: (s8), (s16) and, in ALU64, (s32); off 1 in ALU64 is an address-space cast.
    if (cls === CLS.ALU64 && i.off === 1) return `r${i.dst} = addr_space_cast(r${i.src}, ${i.imm >>> 16}, ${i.imm & 0xffff})`;
    if (i.off === 8 || i.off === 16 || (i.off === 32 && cls === CLS.ALU64)) return `${r}${i.dst} = (s${i.off})${r}${i.src}`;
    return UNKNOWN;
  }
  const sym = ALU_OPS[op];
  if (sym === undefined || i.off !== 0) return UNKNOWN;
  return `${r}${i.dst} ${sym} ${src}`;
}

function formatJmp(i: Insn, cls: number): string {
  const op = i.code & 0xf0;
  const x = (i.code & 0x08) !== 0;
  if (cls === CLS.JMP) {
    if (op === JMP.JA) return x ? UNKNOWN : `goto ${jumpOff(i.off)}`;
    if (op === JMP.CALL) return x ? `callx r${i.dst}` : `call ${i.imm}`;
    if (op === JMP.EXIT) return !x && i.dst === 0 && i.src === 0 && i.off === 0 && i.imm === 0 ? "exit" : UNKNOWN;
    if (op === JMP.MAY_GOTO) return x ? UNKNOWN : `may_goto ${jumpOff(i.off)}`;
  } else if (op === JMP.JA) {
    return x ? UNKNOWN : `gotol ${jumpOff(i.imm)}`;
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

function formatLdx(i: Insn): string {
  const mode = i.code & 0xe0;
  const size = mode === MODE.MEM ? SIZE_NAME[i.code & 0x18] : mode === MODE.MEMSX ? SIGNED_SIZE_NAME[i.code & 0x18] : undefined;
  if (size === undefined) return UNKNOWN;
  return `r${i.dst} = *(${size} *)(r${i.src} ${memOff(i.off)})`;
}

function formatSt(i: Insn): string {
  if ((i.code & 0xe0) !== MODE.MEM) return UNKNOWN;
  return `*(${SIZE_NAME[i.code & 0x18]} *)(r${i.dst} ${memOff(i.off)}) = ${i.imm}`;
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

/** One instruction in llvm-objdump 19 syntax, e.g. `r2 = *(u64 *)(r1 + 112)`. */
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
      return formatLdx(i);
    case CLS.ST:
      return formatSt(i);
    default:
      return formatStx(i);
  }
}

/** The pc-relative offset of a jump (in slots; `gotol` keeps it in imm), or undefined for
 *  anything else (call, exit, not a jump). */
export function jumpOffset(i: Insn): number | undefined {
  const cls = i.code & 0x07;
  if (cls !== CLS.JMP && cls !== CLS.JMP32) return undefined;
  const op = i.code & 0xf0;
  if (op === JMP.CALL || op === JMP.EXIT || formatInsn(i) === UNKNOWN) return undefined;
  return cls === CLS.JMP32 && op === JMP.JA ? i.imm : i.off;
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
    else if (opts.symbol !== undefined && jumpOffset(insn) !== undefined) {
      const target = (slot + 1 + jumpOffset(insn)!) * 8;
      text += target === 0 ? ` <${opts.symbol}>` : ` <${opts.symbol}+0x${target.toString(16)}>`;
    }
    out.push(`${String(base + slot).padStart(8)}:\t${hexBytes(encode([insn]))}\t${text}`);
    slot += slots(insn);
  });
  return out.join("\n") + "\n";
}
