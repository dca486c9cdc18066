// A generic little-endian ELF64 relocatable-object writer (ET_REL).
// In: sections (name, type, flags, bytes), symbols, and SHT_REL relocations against them.
// Out: the object file's bytes: ELF header, section data, .symtab, .strtab (which also
// names the sections, as clang's objects do), section header table.
// Local symbols are placed before global ones, as ELF requires; sh_info of .symtab is the
// index of the first global.

import { StringTable } from "./strtab.js";

export const EM_BPF = 247;

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, INFO_LINK: 0x40 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const SHN_ABS = 0xfff1;

export interface ElfSectionSpec {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  /** Size of a NOBITS section (.bss), which has no bytes in the file. */
  size?: number;
  align: number;
  entsize?: number;
  link?: number;
  info?: number;
}

export interface ElfSymbol {
  name: string;
  /** Section index (from addSection), 0 for undefined, SHN_ABS for absolute. */
  section: number;
  value: number;
  size: number;
  type: number;
  bind: number;
}

export interface ElfReloc {
  offset: number;
  symbol: ElfSymbol;
  type: number;
}

interface PendingRel { index: number; target: number; relocs: ElfReloc[] }

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

export class ElfWriter {
  private readonly sections: ElfSectionSpec[] = [
    { name: "", type: SHT.NULL, flags: 0, data: new Uint8Array(0), align: 0 },
  ];
  private readonly symbols: ElfSymbol[] = [];
  private readonly rels: PendingRel[] = [];

  constructor(private readonly machine: number) {}

  /** Returns the section's index. */
  addSection(spec: ElfSectionSpec): number {
    this.sections.push(spec);
    return this.sections.length - 1;
  }

  addSymbol(sym: ElfSymbol): ElfSymbol {
    this.symbols.push(sym);
    return sym;
  }

  /** Adds `.rel<target name>` (SHT_REL) for section `target`. */
  addRelocations(target: number, relocs: ElfReloc[]): number {
    const t = this.sections[target];
    if (!t) throw new Error(`ELF: no section ${target}`);
    const index = this.addSection({
      name: ".rel" + t.name, type: SHT.REL, flags: SHF.INFO_LINK, data: new Uint8Array(0),
      align: 8, entsize: REL_SIZE, info: target,
    });
    this.rels.push({ index, target, relocs });
    return index;
  }

  build(): Uint8Array {
    const strtab = new StringTable();
    const sections = this.sections.map((s) => ({ ...s }));

    // Symbol order: null symbol, locals, globals.
    const ordered = [
      ...this.symbols.filter((s) => s.bind === STB.LOCAL),
      ...this.symbols.filter((s) => s.bind !== STB.LOCAL),
    ];
    const symIndex = new Map<ElfSymbol, number>(ordered.map((s, i) => [s, i + 1]));
    const firstGlobal = 1 + ordered.filter((s) => s.bind === STB.LOCAL).length;

    const symtabIndex = sections.length;
    const strtabIndex = symtabIndex + 1;

    for (const r of this.rels) {
      const data = new Uint8Array(r.relocs.length * REL_SIZE);
      const dv = new DataView(data.buffer);
      r.relocs.forEach((rel, i) => {
        const si = symIndex.get(rel.symbol);
        if (si === undefined) throw new Error(`ELF: relocation against unknown symbol ${rel.symbol.name}`);
        dv.setBigUint64(i * REL_SIZE, BigInt(rel.offset), true);
        dv.setBigUint64(i * REL_SIZE + 8, (BigInt(si) << 32n) | BigInt(rel.type), true);
      });
      sections[r.index] = { ...sections[r.index]!, data, link: symtabIndex };
    }

    const symData = new Uint8Array((ordered.length + 1) * SYM_SIZE);
    const sdv = new DataView(symData.buffer);
    ordered.forEach((s, i) => {
      const p = (i + 1) * SYM_SIZE;
      sdv.setUint32(p, strtab.add(s.name), true);
      sdv.setUint8(p + 4, (s.bind << 4) | (s.type & 0xf));
      sdv.setUint8(p + 5, 0); // STV_DEFAULT
      sdv.setUint16(p + 6, s.section, true);
      sdv.setBigUint64(p + 8, BigInt(s.value), true);
      sdv.setBigUint64(p + 16, BigInt(s.size), true);
    });
    sections.push({
      name: ".symtab", type: SHT.SYMTAB, flags: 0, data: symData, align: 8, entsize: SYM_SIZE,
      link: strtabIndex, info: firstGlobal,
    });

    const nameOffs = sections.map((s) => strtab.add(s.name));
    const strtabNameOff = strtab.add(".strtab");
    sections.push({ name: ".strtab", type: SHT.STRTAB, flags: 0, data: strtab.bytes(), align: 1 });
    nameOffs.push(strtabNameOff);

    // Layout: header, section data (each at its alignment), section headers.
    let off = EHDR_SIZE;
    const offsets = sections.map((s, i) => {
      if (i === 0) return 0;
      off = alignUp(off, Math.max(s.align, 1));
      const at = off;
      if (s.type !== SHT.NOBITS) off += s.data.length;
      return at;
    });
    const shoff = alignUp(off, 8);
    const total = shoff + sections.length * SHDR_SIZE;

    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* SYSV */]);
    dv.setUint16(16, 1, true); // ET_REL
    dv.setUint16(18, this.machine, true);
    dv.setUint32(20, 1, true); // e_version
    dv.setBigUint64(24, 0n, true); // e_entry
    dv.setBigUint64(32, 0n, true); // e_phoff
    dv.setBigUint64(40, BigInt(shoff), true);
    dv.setUint32(48, 0, true); // e_flags
    dv.setUint16(52, EHDR_SIZE, true);
    dv.setUint16(54, 0, true); // e_phentsize
    dv.setUint16(56, 0, true); // e_phnum
    dv.setUint16(58, SHDR_SIZE, true);
    dv.setUint16(60, sections.length, true);
    dv.setUint16(62, strtabIndex, true); // e_shstrndx

    sections.forEach((s, i) => {
      if (i > 0 && s.type !== SHT.NOBITS) out.set(s.data, offsets[i]!);
      const p = shoff + i * SHDR_SIZE;
      dv.setUint32(p, i === 0 ? 0 : nameOffs[i]!, true);
      dv.setUint32(p + 4, s.type, true);
      dv.setBigUint64(p + 8, BigInt(s.flags), true);
      dv.setBigUint64(p + 16, 0n, true); // sh_addr
      dv.setBigUint64(p + 24, BigInt(offsets[i]!), true);
      dv.setBigUint64(p + 32, BigInt(s.type === SHT.NOBITS ? s.size ?? 0 : s.data.length), true);
      dv.setUint32(p + 40, s.link ?? 0, true);
      dv.setUint32(p + 44, s.info ?? 0, true);
      dv.setBigUint64(p + 48, BigInt(s.align), true);
      dv.setBigUint64(p + 56, BigInt(s.entsize ?? 0), true);
    });
    return out;
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
