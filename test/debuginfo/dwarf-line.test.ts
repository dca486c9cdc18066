// file:line → addresses against llvm-dwarfdump --debug-line: the first is_stmt address of
// each run of rows of the line; at a function's opening line, the address past the
// prologue (checked against the oracle's prologue_end flags and readelf's CFA rows).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cfaAt, findFunction, lineAddresses, readDebugInfo } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import {
  SAMPLE, build, dwarfdumpLines, dwarfdumpTree, framesInterp, lineOf, oAddr, oLineRunStarts, walk, type OFde, type OLineTable, type OTree,
} from "./dwarf-oracle.js";

/** Function entry → end, from the oracle's subprograms. */
function oEntries(t: OTree): Map<bigint, bigint> {
  const m = new Map<bigint, bigint>();
  walk(t, (d) => {
    const lo = oAddr(d, "DW_AT_low_pc");
    const hi = oAddr(d, "DW_AT_high_pc");
    if (d.tag === "DW_TAG_subprogram" && lo !== undefined && hi !== undefined) m.set(lo, hi);
  });
  return m;
}

/** Where a debugger would stop for a function whose entry is `lo`, from oracle data only. */
function oAfterPrologue(tables: OLineTable[], fdes: OFde[], lo: bigint, hi: bigint): bigint {
  const rows = tables.flatMap((t) => t.rows).filter((r) => !r.endSequence && r.addr >= lo && r.addr < hi);
  const pe = rows.find((r) => r.prologueEnd);
  if (pe) return pe.addr;
  const fde = fdes.find((f) => lo >= f.lo && lo < f.hi);
  const setup = fde?.rows.find((r) => r.cfa.startsWith("rbp+") && r.loc >= lo && r.loc < hi);
  if (setup) return rows.find((r) => r.addr >= setup.loc)?.addr ?? lo;
  return lo;
}

const BUILDS = [
  { label: "gcc -g -O0 (DWARF 5 line table)", cc: "gcc", flags: ["-g", "-O0"], frame: true },
  { label: "gcc -gdwarf-4 -O0 (DWARF 4 line table)", cc: "gcc", flags: ["-gdwarf-4", "-O0"], frame: true },
  { label: "gcc -g -O2", cc: "gcc", flags: ["-g", "-O2"], frame: false },
  { label: "clang -g -O0 (prologue_end flags)", cc: "clang", flags: ["-g", "-O0"], frame: true },
  { label: "clang -g -O2", cc: "clang", flags: ["-g", "-O2"], frame: false },
];

describe.each(BUILDS)("$label", ({ cc, flags, frame }) => {
  const bin = build(cc, flags);
  const tables = dwarfdumpLines(bin);
  const tree = dwarfdumpTree(bin);
  const fdes = framesInterp(bin);
  const info = readDebugInfo(readFileSync(bin), x86_64)!;
  const nLines = readFileSync(SAMPLE, "utf8").split("\n").length;

  it("every source line maps to the addresses the oracle's line table gives", () => {
    const entries = oEntries(tree);
    let withCode = 0;
    let entryLines = 0;
    for (let line = 1; line <= nLines; line++) {
      const expected = oLineRunStarts(tables, "dwarf-sample.c", line).map((a) => {
        const end = entries.get(a);
        if (end === undefined) return a;
        entryLines++;
        return oAfterPrologue(tables, fdes, a, end);
      });
      const got = lineAddresses(info, "dwarf-sample.c", line);
      expect(got, `line ${line}`).toEqual([...new Set(expected)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      if (got.length) withCode++;
    }
    expect(withCode).toBeGreaterThan(40);
    expect(entryLines).toBeGreaterThan(5);
  });

  it("a loop header maps to more than one address; a comment line to none", () => {
    expect(lineAddresses(info, "dwarf-sample.c", lineOf("for (struct node *n = head;")).length).toBeGreaterThan(1);
    expect(lineAddresses(info, "dwarf-sample.c", 1)).toEqual([]);
  });

  it("matches files by basename or by trailing path, not by other names", () => {
    const line = lineOf("sink += total;");
    const byBase = lineAddresses(info, "dwarf-sample.c", line);
    expect(byBase.length).toBeGreaterThan(0);
    expect(lineAddresses(info, "fixtures/dwarf-sample.c", line)).toEqual(byBase);
    expect(lineAddresses(info, "sample.c", line)).toEqual([]);
    expect(lineAddresses(info, "other/dwarf-sample.c", line)).toEqual([]);
  });

  it("a function's opening line resolves past the prologue where the function sets up a frame", () => {
    const f6 = findFunction(info, "f6")!;
    // The line the compiler gives the entry (gcc: the `{` line; clang: the declarator's).
    const entryRow = tables.flatMap((t) => t.rows).find((r) => r.addr === f6.lowPc && !r.endSequence)!;
    expect([lineOf("PROBED long f6("), lineOf("PROBED long f6(") + 1]).toContain(entryRow.line);
    const [addr] = lineAddresses(info, "dwarf-sample.c", entryRow.line);
    if (frame) {
      expect(addr).toBeGreaterThan(f6.lowPc);
      expect(addr).toBeLessThan(f6.highPc);
      expect(cfaAt(info, addr!)).toEqual({ reg: 6, offset: 16n });
    } else {
      expect(addr).toBeGreaterThanOrEqual(f6.lowPc);
      expect(addr).toBeLessThan(f6.highPc);
    }
  });
});
