// User addresses to the function symbols of a binary's ELF symbol table (.symtab, else
// .dynsym), and where processes have a binary mapped.
// In: a binary's path; for PIE executables and shared libraries, /proc/PID/maps of the
// processes alive now. Out: BinarySymbols, which names the function containing a
// virtual address as `name+0xoffset` and turns a file offset into its virtual address;
// liveMappings(), the mappings of some files in every process.
// A non-PIE executable (ET_EXEC) runs at its link-time addresses in every process, so a
// stack's address is the symbol table's. A PIE executable or library lands at another
// base in each process: only a process's own mappings say where.

import { readdirSync, readFileSync } from "node:fs";
import { ElfFile, PT_LOAD } from "../compiler/debuginfo/elf-read.js";

const ET_EXEC = 2;

interface Func { name: string; start: bigint; end: bigint }

export class BinarySymbols {
  /** Executables that run at their link-time addresses. */
  readonly fixed: boolean;
  private readonly funcs: Func[];

  private constructor(readonly path: string, private readonly elf: ElfFile) {
    this.fixed = elf.type === ET_EXEC;
    this.funcs = elf.functions().filter((f) => f.size > 0n).map((f) => ({ name: f.name, start: f.value, end: f.value + f.size })).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  /** The binary's symbols; undefined when it cannot be read or is not ELF. */
  static read(path: string): BinarySymbols | undefined {
    try {
      return new BinarySymbols(path, new ElfFile(readFileSync(path)));
    } catch {
      return undefined;
    }
  }

  /** The function containing `vaddr`, as `name+0xoffset`. */
  symbolize(vaddr: bigint): string | undefined {
    let lo = 0, hi = this.funcs.length; // the first function starting above vaddr
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.funcs[mid]!.start <= vaddr) lo = mid + 1;
      else hi = mid;
    }
    const f = this.funcs[lo - 1];
    return f && vaddr < f.end ? `${f.name}+0x${(vaddr - f.start).toString(16)}` : undefined;
  }

  /** The virtual address a file offset is loaded at, through the PT_LOAD segment
   *  holding it. */
  vaddrOf(fileOffset: bigint): bigint | undefined {
    const seg = this.elf.segments.find((p) => p.type === PT_LOAD && fileOffset >= BigInt(p.offset) && fileOffset < BigInt(p.offset) + p.filesz);
    return seg && fileOffset - BigInt(seg.offset) + seg.vaddr;
  }
}

export interface Mapping { path: string; start: bigint; end: bigint; offset: bigint }

/** Every process's mappings of the files in `paths` (as /proc/PID/maps names them). */
export function liveMappings(paths: ReadonlySet<string>): Mapping[] {
  const out: Mapping[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/maps`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    for (const line of text.split("\n")) {
      // start-end perms offset dev inode path
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(.+)$/.exec(line);
      if (m && paths.has(m[4]!)) out.push({ path: m[4]!, start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[3]}`) });
    }
  }
  return out;
}
