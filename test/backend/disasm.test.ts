// The disassembler against llvm-objdump 19 (--no-print-imm-hex): a table of expected texts
// that runs everywhere, and, where llvm-mc-19 and llvm-objdump-19 are installed, every
// instruction of a broad generated set assembled into an object and disassembled by the real
// tool, compared line by line with formatListing (so the layout, bytes and jump annotations
// are checked too).

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatInsn, formatListing } from "../../compiler/bpf/disasm.js";
import { ALU, CLS, JMP, MODE, SRC, SZ, encode, type Insn } from "../../compiler/bpf/insn.js";

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ code, dst, src, off, imm });
const ld64 = (dst: number, lo: number, hi: number, src = 0): Insn => ({ code: 0x18, dst, src, off: 0, imm: lo, imm64hi: hi });

/** Every shape of instruction: each ALU/JMP op in both source modes and both widths, with
 *  the `off` values CPU v4 gives a meaning (signed division, movsx) and stray ones, loads
 *  (plain and sign-extending) and stores of each size, atomics, ld_imm64 values, calls. */
function broadSet(): Insn[] {
  const out: Insn[] = [];
  for (const cls of [CLS.ALU, CLS.ALU64]) {
    for (let op = 0; op <= 0xf0; op += 0x10) {
      for (const off of [0, 1, 8, 16, 32]) {
        out.push(ins(cls | op | SRC.K, 3, 0, off, op === ALU.END ? 32 : -7));
        out.push(ins(cls | op | SRC.X, 1, 9, off, op === ALU.END ? 16 : 0));
      }
      out.push(ins(cls | op | SRC.K, 9, 0, 0, op === ALU.END ? 64 : 2147483647));
    }
  }
  out.push(ins(CLS.ALU | ALU.END, 1, 0, 0, 8), ins(CLS.ALU64 | ALU.END | SRC.X, 4, 0, 0, 64));
  for (const cls of [CLS.JMP, CLS.JMP32]) {
    for (let op = 0; op <= 0xf0; op += 0x10) {
      if (op === JMP.CALL || op === JMP.EXIT) continue;
      out.push(ins(cls | op | SRC.K, 2, 0, 1, -5));
      out.push(ins(cls | op | SRC.X, 0, 7, -2, 0));
    }
  }
  out.push(ins(CLS.JMP | JMP.JA, 0, 0, 0, 0), ins(CLS.JMP | JMP.JA, 0, 0, -12, 0), ins(CLS.JMP32 | JMP.JA, 0, 0, 0, 3));
  out.push(ins(CLS.JMP | JMP.CALL, 0, 0, 0, 1), ins(CLS.JMP | JMP.CALL, 0, 0, 0, 113), ins(CLS.JMP | JMP.CALL, 0, 1, 0, -1));
  out.push(ins(CLS.JMP | JMP.CALL | SRC.X, 2, 0, 0, 0));
  out.push(ins(CLS.JMP | JMP.EXIT));
  for (const sz of [SZ.B, SZ.H, SZ.W, SZ.DW]) {
    out.push(ins(CLS.LDX | sz | MODE.MEM, 2, 1, 112), ins(CLS.LDX | sz | MODE.MEM, 0, 10, -512));
    out.push(ins(CLS.LDX | sz | MODE.MEMSX, 2, 1, 112), ins(CLS.LDX | sz | MODE.MEMSX, 0, 10, -4));
    out.push(ins(CLS.STX | sz | MODE.MEM, 10, 6, -8), ins(CLS.STX | sz | MODE.MEM, 1, 0, 0));
    out.push(ins(CLS.ST | sz | MODE.MEM, 10, 0, -8, 5), ins(CLS.ST | sz | MODE.MEM, 1, 0, 16, -1));
  }
  for (const imm of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]) {
    out.push(ins(CLS.STX | SZ.DW | MODE.ATOMIC, 1, 2, 8, imm), ins(CLS.STX | SZ.W | MODE.ATOMIC, 3, 4, -4, imm));
  }
  out.push(ld64(1, 0, 0), ld64(2, -1, -1), ld64(3, -1, 0), ld64(4, 5, 1), ld64(5, 0, -2147483648), ld64(6, 1, 2147483647));
  out.push(ld64(1, 0, 0, 1), ld64(1, 7, 3, 2));
  out.push(ins(CLS.LD | SZ.W | 0x20, 0, 0, 0, 5), ins(CLS.LD | SZ.B | 0x40, 0, 2, 0, 0));
  out.push(ins(CLS.JMP | JMP.EXIT));
  return out;
}

describe("formatInsn", () => {
  it.each<[Insn, string]>([
    [ins(0x79, 2, 1, 112), "r2 = *(u64 *)(r1 + 112)"],
    [ins(0x61, 0, 10, -8), "r0 = *(u32 *)(r10 - 8)"],
    [ins(0x7b, 10, 1, -16), "*(u64 *)(r10 - 16) = r1"],
    [ins(0x73, 1, 2, 3), "*(u8 *)(r1 + 3) = r2"],
    [ins(0x15, 0, 0, 5, 0), "if r0 == 0 goto +5"],
    [ins(0x5d, 1, 2, -3), "if r1 != r2 goto -3"],
    [ins(0xc5, 3, 0, 0, -1), "if r3 s< -1 goto +0"],
    [ins(0xbd, 3, 4, 2), "if r3 <= r4 goto +2"],
    [ins(0x16, 1, 0, 1, 7), "if w1 == 7 goto +1"],
    [ins(0x05, 0, 0, 4), "goto +4"],
    [ld64(1, 0, 0), "r1 = 0 ll"],
    [ld64(1, 5, 1), "r1 = 4294967301 ll"],
    [ld64(1, -1, -1), "r1 = -1 ll"],
    [ld64(1, 0, 0, 1), "ld_pseudo\tr1, 1, 0"],
    [ins(0x85, 0, 0, 0, 1), "call 1"],
    [ins(0x95), "exit"],
    [ins(0xbc, 1, 1), "w1 = w1"],
    [ins(0xbf, 6, 1), "r6 = r1"],
    [ins(0xb7, 0, 0, 0, -2147483648), "r0 = -2147483648"],
    [ins(0xc7, 1, 0, 0, 56), "r1 s>>= 56"],
    [ins(0x67, 1, 0, 0, 32), "r1 <<= 32"],
    [ins(0x77, 1, 0, 0, 32), "r1 >>= 32"],
    [ins(0x87, 2), "r2 = -r2"],
    [ins(0x07, 2, 0, 0, -8), "r2 += -8"],
    [ins(0x3f, 2, 1), "r2 /= r1"],
    [ins(0x27, 2, 0, 0, 7), "r2 *= 7"],
    [ins(0x57, 1, 0, 0, 255), "r1 &= 255"],
    [ins(0xaf, 1, 2), "r1 ^= r2"],
    [ins(0xdb, 1, 2), "lock *(u64 *)(r1 + 0) += r2"],
    [ins(0xc3, 1, 2, 4), "lock *(u32 *)(r1 + 4) += r2"],
    [ins(0xdb, 1, 2, 0, 0x01), "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)"],
    [ins(0xdc, 1, 0, 0, 16), "r1 = be16 r1"],
    [ins(0xd4, 1, 0, 0, 64), "r1 = le64 r1"],
    [ins(0x97, 1, 0, 0, 7), "r1 %= 7"],
    [ins(0x9f, 1, 2), "r1 %= r2"],
    [ins(0x45, 1, 0, 1, 1), "if r1 & 1 goto +1"],
    [ins(0x7a, 10, 0, -8, 5), "*(u64 *)(r10 - 8) = 5"],
    [ins(0x62, 1, 0, 4, -1), "*(u32 *)(r1 + 4) = -1"],
    // CPU v4.
    [ins(0x91, 1, 2, 4), "r1 = *(s8 *)(r2 + 4)"],
    [ins(0x81, 1, 10, -8), "r1 = *(s32 *)(r10 - 8)"],
    [ins(0xbf, 1, 2, 16), "r1 = (s16)r2"],
    [ins(0xbc, 1, 2, 8), "w1 = (s8)w2"],
    [ins(0x3f, 1, 2, 1), "r1 s/= r2"],
    [ins(0x97, 1, 0, 1, -7), "r1 s%= -7"],
    [ins(0xd7, 1, 0, 0, 32), "r1 = bswap32 r1"],
    [ins(0x06, 0, 0, 0, 5), "gotol +5"],
    // What LLVM 19 cannot decode: 32-bit fetch atomics, an ALU operation with a stray off.
    [ins(0xc3, 1, 2, 0, 0x41), "<unknown>"],
    [ins(0x07, 1, 0, 1, 5), "<unknown>"],
    [ins(0xbc, 1, 2, 32), "<unknown>"],
  ])("%j prints as %s", (insn, text) => {
    expect(formatInsn(insn)).toBe(text);
  });
});

describe("formatListing", () => {
  it("interleaves source lines and lays out like llvm-objdump", () => {
    const source = "const a = 1;\nif (a) {\n  return 2;\n}\n";
    const insns = [ins(0xb7, 0, 0, 0, 1), ld64(1, 0, 0), ins(0x15, 0, 0, 1, 0), ins(0xb7, 0, 0, 0, 2), ins(0x95)];
    const lines = [{ insn: 0, line: 1, col: 1 }, { insn: 2, line: 2, col: 5 }, { insn: 3, line: 3, col: 3 }];
    expect(formatListing(insns, { source, lines, symbol: "prog" })).toBe(
      [
        "0000000000000000 <prog>:",
        "; const a = 1;",
        "       0:\tb7 00 00 00 01 00 00 00\tr0 = 1",
        "       1:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll",
        "; if (a) {",
        "       3:\t15 00 01 00 00 00 00 00\tif r0 == 0 goto +1 <prog+0x28>",
        ";   return 2;",
        "       4:\tb7 00 00 00 02 00 00 00\tr0 = 2",
        "       5:\t95 00 00 00 00 00 00 00\texit",
        "",
      ].join("\n"),
    );
  });

  it("names maps, globals, callees and helpers after the instruction when given the relocations", () => {
    const insns = [ld64(1, 0, 0), ins(0x85, 0, 0, 0, 1), ld64(2, 0, 0), ins(0x85, 0, 1, 0, -1), ins(0x85, 0, 0, 0, 7), ins(0x95)];
    const relocs = [{ insn: 0, symbol: "counts" }, { insn: 2, symbol: "limit" }, { insn: 3, symbol: "sum" }];
    expect(formatListing(insns, { relocs }).split("\n").map((l) => l.split("\t")[2])).toEqual([
      "r1 = 0 ll <counts>",
      "call 1 <bpf_map_lookup_elem>",
      "r2 = 0 ll <limit>",
      "call -1 <sum>",
      "call 7", // a helper the compiler never calls: no name
      "exit",
      undefined,
    ]);
  });

  it("prints nothing but instructions without source", () => {
    expect(formatListing([ins(0x95)])).toBe("       0:\t95 00 00 00 00 00 00 00\texit\n");
  });
});

describe("against llvm-objdump 19", () => {
  it("prints every instruction of a broad set exactly as llvm-objdump -d --no-print-imm-hex does", () => {
    const insns = broadSet();
    const bytes = encode(insns);
    const dir = mkdtempSync(join(tmpdir(), "bpftsc-disasm-"));
    const lines = ["\t.text", "\t.globl\tf", "f:"];
    for (let k = 0; k < bytes.length; k += 8) lines.push(`\t.byte ${Array.from(bytes.subarray(k, k + 8)).join(",")}`);
    writeFileSync(join(dir, "a.s"), lines.join("\n") + "\n");
    execFileSync("llvm-mc-19", ["-triple=bpfel", "-filetype=obj", join(dir, "a.s"), "-o", join(dir, "a.o")]);
    const dump = execFileSync("llvm-objdump-19", ["-d", "--no-print-imm-hex", join(dir, "a.o")], { encoding: "utf8" });
    const theirs = dump.slice(dump.indexOf("0000000000000000 <f>:")).trimEnd().split("\n");
    const ours = formatListing(insns, { symbol: "f" }).trimEnd().split("\n");
    expect(ours.length).toBe(theirs.length);
    for (let k = 0; k < ours.length; k++) expect(ours[k], `line ${k}`).toBe(theirs[k]);
  });
});
