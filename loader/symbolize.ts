// Stack frames to symbols, for printing stack traces as bpftrace does.
// In: stacks of return addresses and the binaries user frames may be in (an object's
// uprobe binaries: probedBinaries()). Out: Frames, each address with its symbol when one
// is known: a kernel address (the upper half of the address space) as /proc/kallsyms
// names it, a user address as the ELF symbols of one of the binaries name it, when the
// binary's place in memory is known (elf-symbols.ts: always for a non-PIE executable,
// for a PIE one or a library while a process has it mapped). Other addresses, and every
// address in shared libraries the object does not probe, stay numbers.

import { realpathSync } from "node:fs";
import { parseUprobeSection } from "./attach.js";
import { BinarySymbols, liveMappings, type Mapping } from "./elf-symbols.js";
import { KernelSymbols } from "./kallsyms.js";

export interface Frame {
  address: bigint;
  /** `name+0xoffset`, when known. */
  symbol?: string;
}

/** x86-64 and arm64 kernels live in the upper half of the 64-bit address space. */
const KERNEL_START = 0xffff800000000000n;

/** The binaries an object's uprobes and uretprobes name in their sections. */
export function probedBinaries(programs: readonly { section: string }[]): string[] {
  return programs.flatMap((p) => parseUprobeSection(p.section)?.binary ?? []);
}

export class Symbolizer {
  private kernel?: KernelSymbols;
  /** By real path, as /proc/PID/maps names files; read on the first user frame. */
  private userBinaries?: Map<string, BinarySymbols>;

  constructor(private readonly binaries: readonly string[] = []) {}

  private binarySymbols(): Map<string, BinarySymbols> {
    if (this.userBinaries) return this.userBinaries;
    const found = new Map<string, BinarySymbols>();
    for (const path of this.binaries) {
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        continue; // gone: its frames stay numbers
      }
      const symbols = found.has(real) ? undefined : BinarySymbols.read(real);
      if (symbols) found.set(real, symbols);
    }
    return (this.userBinaries = found);
  }

  /** Each stack's frames with their symbols. Processes' mappings are read once per
   *  call, and only when a user address is in no non-PIE executable. */
  frames(stacks: readonly (readonly bigint[])[]): Frame[][] {
    let mappings: Mapping[] | undefined;
    const user = (address: bigint): string | undefined => {
      const binaries = this.binarySymbols();
      for (const b of binaries.values()) if (b.fixed) {
        const s = b.symbolize(address);
        if (s) return s;
      }
      const placed = [...binaries.values()].filter((b) => !b.fixed).map((b) => b.path);
      if (placed.length === 0) return undefined;
      mappings ??= liveMappings(new Set(placed));
      const m = mappings.find((x) => address >= x.start && address < x.end);
      const b = m && binaries.get(m.path);
      const vaddr = m && b?.vaddrOf(address - m.start + m.offset);
      return vaddr === undefined ? undefined : b!.symbolize(vaddr);
    };
    const symbol = (address: bigint): string | undefined =>
      address >= KERNEL_START ? (this.kernel ??= KernelSymbols.read()).symbolize(address) : user(address);
    return stacks.map((stack) => stack.map((address) => {
      const s = symbol(address);
      return s === undefined ? { address } : { address, symbol: s };
    }));
  }
}
