// Instructions per program in a BPF ELF object, as the benchmark counts them: the size of
// each global function symbol in an executable section, an ld_imm64 counting once, plus
// the size of every subprogram (a function of .text) it calls, directly or through another
// one, once each: libbpf appends those to the program it loads, and the verifier walks
// them as part of it.
// In: an object file. Out: program (symbol) name -> instruction count.

import * as fs from "node:fs";

/** Instructions of each global function symbol in an executable section and of the
 *  subprograms it calls (ld_imm64 = 1). */
export function countInsns(file: string): Map<string, number> {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error(`${file}: not a little-endian ELF64 file`);
  }
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  interface Sh { type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }
  const shs: Sh[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    shs.push({
      type: b.readUInt32LE(o + 4),
      flags: Number(b.readBigUInt64LE(o + 8)),
      offset: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
      link: b.readUInt32LE(o + 0x28),
      info: b.readUInt32LE(o + 0x2c),
      entsize: Number(b.readBigUInt64LE(o + 0x38)),
    });
  }
  const SHT_SYMTAB = 2, SHF_EXECINSTR = 0x4, STT_FUNC = 2, STB_GLOBAL = 1;
  const out = new Map<string, number>();
  const symtab = shs.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return out;
  const strtab = shs[symtab.link];
  const cstr = (off: number): string => {
    const start = strtab.offset + off;
    let end = start;
    while (b[end] !== 0) end++;
    return b.toString("utf8", start, end);
  };
  const entsize = symtab.entsize || 24;
  const SHT_REL = 9, R_BPF_64_32 = 10;
  interface Fn { name: string; shndx: number; start: number; end: number; insns: number; global: boolean }
  const fns: Fn[] = [];
  const symbols: { shndx: number; value: number }[] = [];
  for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
    const info = b[o + 4];
    const shndx = b.readUInt16LE(o + 6);
    const value = Number(b.readBigUInt64LE(o + 8));
    symbols.push({ shndx, value });
    if ((info & 0xf) !== STT_FUNC || shndx === 0 || shndx >= shnum) continue;
    const sec = shs[shndx];
    if (!(sec.flags & SHF_EXECINSTR)) continue;
    let size = Number(b.readBigUInt64LE(o + 16));
    if (size === 0) size = sec.size - value;
    let n = 0;
    for (let p = sec.offset + value; p < sec.offset + value + size; p += 8) {
      n++;
      if (b[p] === 0x18) p += 8; // BPF_LD | BPF_IMM | BPF_DW: the second half is no instruction
    }
    fns.push({ name: cstr(b.readUInt32LE(o)), shndx, start: value, end: value + size, insns: n, global: info >> 4 === STB_GLOBAL });
  }
  // Calls between functions: R_BPF_64_32 relocations of call instructions, against the
  // callee's symbol, the call's immediate counting from there (-1: the symbol itself).
  const fnAt = (shndx: number, off: number): Fn | undefined => fns.find((f) => f.shndx === shndx && off >= f.start && off < f.end);
  const callees = new Map<Fn, Set<Fn>>(fns.map((f) => [f, new Set()]));
  for (const rel of shs.filter((s) => s.type === SHT_REL)) {
    const target = rel.info;
    for (let o = rel.offset; o + 16 <= rel.offset + rel.size; o += 16) {
      const off = Number(b.readBigUInt64LE(o));
      const rinfo = b.readBigUInt64LE(o + 8);
      if (Number(rinfo & 0xffffffffn) !== R_BPF_64_32) continue;
      const sym = symbols[Number(rinfo >> 32n)];
      const insn = shs[target]!.offset + off;
      if (!sym || b[insn] !== 0x85) continue;
      const imm = b.readInt32LE(insn + 4);
      const callee = fnAt(sym.shndx, sym.value + (imm + 1) * 8);
      const caller = fnAt(target, off);
      if (caller && callee) callees.get(caller)!.add(callee);
    }
  }
  for (const f of fns) {
    if (!f.global) continue;
    const seen = new Set<Fn>([f]);
    const work = [f];
    while (work.length) for (const c of callees.get(work.pop()!)!) if (!seen.has(c)) { seen.add(c); work.push(c); }
    out.set(f.name, [...seen].reduce((n, g) => n + g.insns, 0));
  }
  return out;
}
