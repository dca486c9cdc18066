// Instructions per program in a BPF ELF object, as the benchmark counts them: the size of
// each global function symbol in an executable section, an ld_imm64 counting once.
// In: an object file. Out: program (symbol) name -> instruction count.

import * as fs from "node:fs";

/** Instructions of each global function symbol in an executable section (ld_imm64 = 1). */
export function countInsns(file: string): Map<string, number> {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error(`${file}: not a little-endian ELF64 file`);
  }
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  interface Sh { type: number; flags: number; offset: number; size: number; link: number; entsize: number }
  const shs: Sh[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    shs.push({
      type: b.readUInt32LE(o + 4),
      flags: Number(b.readBigUInt64LE(o + 8)),
      offset: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
      link: b.readUInt32LE(o + 0x28),
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
  for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
    const info = b[o + 4];
    const shndx = b.readUInt16LE(o + 6);
    if ((info & 0xf) !== STT_FUNC || info >> 4 !== STB_GLOBAL || shndx === 0 || shndx >= shnum) continue;
    const sec = shs[shndx];
    if (!(sec.flags & SHF_EXECINSTR)) continue;
    const value = Number(b.readBigUInt64LE(o + 8));
    let size = Number(b.readBigUInt64LE(o + 16));
    if (size === 0) size = sec.size - value;
    let n = 0;
    for (let p = sec.offset + value; p < sec.offset + value + size; p += 8) {
      n++;
      if (b[p] === 0x18) p += 8; // BPF_LD | BPF_IMM | BPF_DW: the second half is no instruction
    }
    out.set(cstr(b.readUInt32LE(o)), n);
  }
  return out;
}
