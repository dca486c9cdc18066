// Minimal ELF64 little-endian reader for probed user binaries (executables, shared
// libraries, and relocatable objects).
// In: the file's bytes. Out: section headers by name, section contents (SHF_COMPRESSED
// and .zdebug sections inflated; in ET_REL files of x86-64 and AArch64 the .rela
// relocations of debug sections applied), symbol lookup in .symtab/.dynsym, and virtual
// address → file offset.

import { inflateSync } from "node:zlib";
import { ByteReader, DebugFormatError, cstrAt, cstrEquals } from "./byte-reader.js";

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_*: 0 notype, 1 object, 2 func, ... */
  type: number;
  /** STB_*: 0 local, 1 global, 2 weak. */
  bind: number;
  shndx: number;
}

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHF_ALLOC = 0x2n;
export const SHF_COMPRESSED = 0x800n;
export const PT_LOAD = 1;
export const ET_REL = 1;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

export class ElfFile {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly machine: number;
  readonly entry: bigint;
  readonly sections: ElfSection[];
  readonly segments: ElfSegment[];
  private readonly byName = new Map<string, ElfSection>();
  private readonly contents = new Map<number, Uint8Array>();
  /** The symbols by a hash of their name (symbolsNamed), built on first use. */
  private symbolsByHash?: Map<number, HashedSymbol[]>;

  constructor(input: Uint8Array) {
    // A plain Uint8Array view: a Node Buffer's subarray() is much slower.
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.bytes = bytes;
    if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new DebugFormatError("not an ELF file");
    }
    if (bytes[4] !== 2) throw new DebugFormatError("only 64-bit ELF files are supported");
    if (bytes[5] !== 1) throw new DebugFormatError("only little-endian ELF files are supported");
    const r = new ByteReader(bytes, 16);
    this.type = r.u16();
    this.machine = r.u16();
    r.u32(); // e_version
    this.entry = r.u64();
    const phoff = r.u64n();
    const shoff = r.u64n();
    r.u32(); // e_flags
    r.u16(); // e_ehsize
    const phentsize = r.u16();
    let phnum = r.u16();
    const shentsize = r.u16();
    let shnum = r.u16();
    let shstrndx = r.u16();

    // Extended numbering: counts that do not fit live in section header 0.
    if (shoff !== 0 && (shnum === 0 || shstrndx === 0xffff || phnum === 0xffff)) {
      const s0 = new ByteReader(bytes, shoff);
      s0.skip(32);
      const size0 = s0.u64n();
      const link0 = s0.u32();
      const info0 = s0.u32();
      if (shnum === 0) shnum = size0;
      if (shstrndx === 0xffff) shstrndx = link0;
      if (phnum === 0xffff) phnum = info0;
    }

    this.segments = [];
    for (let i = 0; i < phnum && phoff !== 0; i++) {
      const p = new ByteReader(bytes, phoff + i * phentsize);
      const type = p.u32();
      const flags = p.u32();
      const offset = p.u64n();
      const vaddr = p.u64();
      p.u64(); // paddr
      const filesz = p.u64();
      const memsz = p.u64();
      this.segments.push({ type, flags, offset, vaddr, filesz, memsz });
    }

    const raw: Omit<ElfSection, "name">[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum && shoff !== 0; i++) {
      const s = new ByteReader(bytes, shoff + i * shentsize);
      nameOffs.push(s.u32());
      const type = s.u32();
      const flags = s.u64();
      const addr = s.u64();
      const offset = s.u64n();
      const size = s.u64n();
      const link = s.u32();
      const info = s.u32();
      s.u64(); // addralign
      const entsize = s.u64n();
      raw.push({ index: i, type, flags, addr, offset, size, link, info, entsize });
    }
    const strtab = raw[shstrndx];
    const strBytes = strtab ? bytes.subarray(strtab.offset, strtab.offset + strtab.size) : new Uint8Array();
    this.sections = raw.map((s, i) => ({ ...s, name: cstrAt(strBytes, nameOffs[i]!) ?? "" }));
    for (const s of this.sections) {
      if (s.name && !this.byName.has(s.name)) this.byName.set(s.name, s);
    }
  }

  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /**
   * A section's contents by name: inflated if compressed (SHF_COMPRESSED, or the older
   * `.zdebug_*` spelling of a `.debug_*` name), with relocations applied in ET_REL files.
   * NOBITS sections read as empty.
   */
  sectionData(name: string): Uint8Array | undefined {
    let s = this.byName.get(name);
    if (!s && name.startsWith(".debug_")) s = this.byName.get(".z" + name.slice(1));
    if (!s) return undefined;
    return this.sectionBytes(s);
  }

  sectionBytes(s: ElfSection): Uint8Array {
    const cached = this.contents.get(s.index);
    if (cached) return cached;
    let data: Uint8Array;
    if (s.type === SHT_NOBITS) {
      data = new Uint8Array();
    } else {
      if (s.offset + s.size > this.bytes.length) throw new DebugFormatError(`section ${s.name} runs past the end of the file`);
      data = this.bytes.subarray(s.offset, s.offset + s.size);
      if (s.flags & SHF_COMPRESSED) data = inflateChdr(s.name, data);
      else if (s.name.startsWith(".zdebug_")) data = inflateZdebug(data);
    }
    if (this.type === ET_REL && !(s.flags & SHF_ALLOC)) data = this.applyRelocations(s, data);
    this.contents.set(s.index, data);
    return data;
  }

  /** The first symbol named `name` in .symtab, else in .dynsym, preferring defined ones. */
  symbolAddress(name: string): { value: bigint; size: bigint } | undefined {
    const all = this.symbolsNamed(name);
    const sym = all.find((x) => x.shndx !== 0) ?? all[0];
    return sym ? { value: sym.value, size: sym.size } : undefined;
  }

  /** Every symbol with this name, .symtab entries first, then .dynsym (names compared as bytes, not decoded). */
  symbolsNamed(name: string): ElfSymbol[] {
    // One pass over the tables serves every lookup (a compile checks a symbol per uprobe):
    // the symbols by a hash of their names' bytes, which a lookup compares in full.
    this.symbolsByHash ??= this.hashSymbols();
    const want = new TextEncoder().encode(name);
    const bucket = this.symbolsByHash.get(fnv1a(want, 0, want.length)) ?? [];
    return bucket.filter((s) => cstrEquals(s.strs, s.nameOff, want)).map((s) => ({ name, ...s.sym() }));
  }

  private hashSymbols(): Map<number, HashedSymbol[]> {
    const index = new Map<number, HashedSymbol[]>();
    this.eachSymbol((strs, nameOff, sym) => {
      let end = strs.indexOf(0, nameOff);
      if (end < 0) end = strs.length;
      const h = fnv1a(strs, nameOff, end);
      const entry = { strs, nameOff, sym };
      const l = index.get(h);
      if (l) l.push(entry);
      else index.set(h, [entry]);
    });
    return index;
  }

  /** Every function symbol (STT_FUNC or STT_GNU_IFUNC) defined in a section: name, address, size. */
  functions(): { name: string; value: bigint; size: bigint }[] {
    const out: { name: string; value: bigint; size: bigint }[] = [];
    const dec = new TextDecoder();
    this.eachSymbol((strs, nameOff, sym) => {
      const s = sym();
      if ((s.type === 2 || s.type === 10) && s.shndx !== 0) out.push({ name: dec.decode(strs.subarray(nameOff, strs.indexOf(0, nameOff))), value: s.value, size: s.size });
    });
    return out;
  }

  /** The names of every function symbol defined in a section. */
  functionNames(): string[] {
    return this.functions().map((f) => f.name);
  }

  /** Address and size of every function symbol defined in a section. */
  functionRanges(): { value: bigint; size: bigint }[] {
    return this.functions().map(({ value, size }) => ({ value, size }));
  }

  private eachSymbol(f: (strs: Uint8Array, nameOff: number, sym: () => Omit<ElfSymbol, "name">) => void): void {
    for (const kind of [SHT_SYMTAB, SHT_DYNSYM]) {
      for (const s of this.sections) {
        if (s.type !== kind || s.entsize === 0) continue;
        const strSec = this.sections[s.link];
        if (!strSec) continue;
        const strs = this.sectionBytes(strSec);
        const data = this.sectionBytes(s);
        const r = new ByteReader(data);
        const count = Math.floor(data.length / s.entsize);
        for (let i = 1; i < count; i++) {
          const base = i * s.entsize;
          r.pos = base;
          const nameOff = r.u32();
          if (nameOff === 0) continue;
          f(strs, nameOff, () => {
            r.pos = base + 4;
            const info = r.u8();
            r.u8(); // st_other
            const shndx = r.u16();
            const value = r.u64();
            const size = r.u64();
            return { value, size, type: info & 0xf, bind: info >> 4, shndx };
          });
        }
      }
    }
  }

  /** The GNU build ID (hex), from the NT_GNU_BUILD_ID note, if any. */
  buildId(): string | undefined {
    for (const s of this.sections) {
      if (s.type !== 7 /* SHT_NOTE */) continue;
      const d = this.sectionBytes(s);
      const r = new ByteReader(d);
      while (r.pos + 12 <= d.length) {
        const namesz = r.u32();
        const descsz = r.u32();
        const type = r.u32();
        const name = d.subarray(r.pos, r.pos + namesz);
        r.pos += (namesz + 3) & ~3;
        const desc = d.subarray(r.pos, r.pos + descsz);
        r.pos += (descsz + 3) & ~3;
        if (type === 3 && namesz === 4 && name[0] === 0x47 && name[1] === 0x4e && name[2] === 0x55) {
          return [...desc].map((b) => b.toString(16).padStart(2, "0")).join("");
        }
      }
    }
    return undefined;
  }

  /** The file name in .gnu_debuglink (a separate debug-info file), if any. */
  debugLink(): string | undefined {
    const d = this.sectionData(".gnu_debuglink");
    return d ? cstrAt(d, 0) : undefined;
  }

  /**
   * The file offset of a virtual address: through the PT_LOAD segment that maps it,
   * else (files without program headers) through the allocated section containing it.
   */
  vaddrToFileOffset(addr: bigint): number | undefined {
    for (const p of this.segments) {
      if (p.type === PT_LOAD && addr >= p.vaddr && addr < p.vaddr + p.filesz) {
        return Number(addr - p.vaddr) + p.offset;
      }
    }
    if (this.segments.length === 0) {
      for (const s of this.sections) {
        if ((s.flags & SHF_ALLOC) && s.type !== SHT_NOBITS && addr >= s.addr && addr < s.addr + BigInt(s.size)) {
          return Number(addr - s.addr) + s.offset;
        }
      }
    }
    return undefined;
  }

  /** Applies the RELA relocations that debug sections use (absolute and pc-relative, 32
   *  and 64 bits; x86-64 and AArch64) to a non-allocated section of a relocatable object. */
  private applyRelocations(target: ElfSection, data: Uint8Array): Uint8Array {
    const rela = this.sections.find((s) => s.type === SHT_RELA && s.info === target.index);
    const kinds = RELOCATIONS[this.machine];
    if (!rela || !kinds) return data;
    const symtab = this.sections[rela.link];
    if (!symtab || symtab.entsize === 0) return data;
    const symData = this.sectionBytes(symtab);
    const symValue = (i: number): bigint => new DataView(symData.buffer, symData.byteOffset).getBigUint64(i * symtab.entsize + 8, true);
    const out = new Uint8Array(data);
    const view = new DataView(out.buffer);
    const r = new ByteReader(this.sectionBytes(rela));
    while (r.pos + 24 <= r.length) {
      const off = r.u64n();
      const info = r.u64();
      const addend = r.i64();
      const kind = kinds[Number(info & 0xffffffffn)];
      if (!kind) continue;
      const value = symValue(Number(info >> 32n)) + addend - (kind.pcRel ? BigInt(off) : 0n);
      if (kind.bytes === 8) view.setBigUint64(off, BigInt.asUintN(64, value), true);
      else view.setUint32(off, Number(BigInt.asUintN(32, value)), true);
    }
    return out;
  }
}

/** Relocation types by e_machine: how many bytes each writes, and whether pc-relative. */
const RELOCATIONS: Record<number, Record<number, { bytes: 4 | 8; pcRel: boolean }>> = {
  [EM_X86_64]: {
    1: { bytes: 8, pcRel: false }, // R_X86_64_64
    10: { bytes: 4, pcRel: false }, // R_X86_64_32
    11: { bytes: 4, pcRel: false }, // R_X86_64_32S
    2: { bytes: 4, pcRel: true }, // R_X86_64_PC32
    24: { bytes: 8, pcRel: true }, // R_X86_64_PC64
  },
  [EM_AARCH64]: {
    257: { bytes: 8, pcRel: false }, // R_AARCH64_ABS64
    258: { bytes: 4, pcRel: false }, // R_AARCH64_ABS32
    260: { bytes: 8, pcRel: true }, // R_AARCH64_PREL64
    261: { bytes: 4, pcRel: true }, // R_AARCH64_PREL32
  },
};

function inflateChdr(name: string, data: Uint8Array): Uint8Array {
  const r = new ByteReader(data);
  const chType = r.u32();
  r.u32(); // reserved
  const size = r.u64n();
  r.u64(); // addralign
  if (chType !== 1) throw new DebugFormatError(`section ${name}: compression type ${chType} is not supported (only zlib)`);
  const out = inflateSync(data.subarray(24));
  if (out.length !== size) throw new DebugFormatError(`section ${name}: inflated to ${out.length} bytes, header says ${size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function inflateZdebug(data: Uint8Array): Uint8Array {
  if (data.length < 12 || String.fromCharCode(...data.subarray(0, 4)) !== "ZLIB") return data;
  const out = inflateSync(data.subarray(12));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Parses an ELF file, or returns undefined if the bytes are not a 64-bit little-endian ELF. */
export function readElf(bytes: Uint8Array): ElfFile | undefined {
  try {
    return new ElfFile(bytes);
  } catch (e) {
    if (e instanceof DebugFormatError) return undefined;
    throw e;
  }
}

/**
 * Where a separate debug-info file for `binaryPath` may be (gdb's search order): by build
 * ID under /usr/lib/debug/.build-id, then by .gnu_debuglink next to the binary, in its
 * .debug/ subdirectory, and under /usr/lib/debug/<binary's directory>.
 */
export function debugFileCandidates(elf: ElfFile, binaryPath: string): string[] {
  const out: string[] = [];
  const id = elf.buildId();
  if (id && id.length > 2) out.push(`/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`);
  const link = elf.debugLink();
  if (link) {
    const slash = binaryPath.lastIndexOf("/");
    const dir = slash < 0 ? "." : binaryPath.slice(0, slash) || "/";
    out.push(`${dir}/${link}`, `${dir}/.debug/${link}`, `/usr/lib/debug${dir.startsWith("/") ? dir : "/" + dir}/${link}`);
  }
  return out;
}

/** A symbol of the index symbolsNamed looks names up in: its name's place and its fields. */
interface HashedSymbol { strs: Uint8Array; nameOff: number; sym: () => Omit<ElfSymbol, "name"> }

/** 32-bit FNV-1a of bytes[start, end). */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  return h >>> 0;
}
