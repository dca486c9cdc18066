// The CFA rule at every row of every FDE (and between rows) against
// readelf --debug-dump=frames-interp: .eh_frame from gcc and clang at -O0 and -O2
// (including DW_CFA_remember_state/restore_state and PLT expressions), and .debug_frame.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CfiIndex } from "../../compiler/debuginfo/cfi.js";
import { cfaAt, readDebugInfo } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { build, framesInterp, parseCfa, run } from "./dwarf-oracle.js";

const BUILDS = [
  { label: "gcc -O0 .eh_frame", cc: "gcc", flags: ["-g", "-O0"] },
  { label: "gcc -O2 .eh_frame (remember/restore_state)", cc: "gcc", flags: ["-g", "-O2"] },
  { label: "clang -O2 .eh_frame", cc: "clang", flags: ["-g", "-O2"] },
  { label: "gcc -O0 -fno-asynchronous-unwind-tables (.debug_frame)", cc: "gcc", flags: ["-g", "-O0", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"] },
  { label: "gcc -O2 -no-pie", cc: "gcc", flags: ["-g", "-O2", "-no-pie"] },
];

describe.each(BUILDS)("$label", ({ cc, flags }) => {
  const bin = build(cc, flags);
  const fdes = framesInterp(bin);
  const info = readDebugInfo(readFileSync(bin), x86_64)!;

  it("readelf lists FDEs, and the reader indexes the same address ranges", () => {
    expect(fdes.length).toBeGreaterThan(5);
    const mine = new CfiIndex(new ElfFile(readFileSync(bin))).ranges().map(([lo, hi]) => `${lo}-${hi}`).sort();
    expect(mine).toEqual(fdes.map((f) => `${f.lo}-${f.hi}`).sort());
  });

  it("gives readelf's CFA at each row's address, one byte later, and at the FDE's last byte", () => {
    let checked = 0;
    for (const f of fdes) {
      // readelf may print a row at the FDE's end address (PLT expressions): not part of it.
      const inside = f.rows.filter((r) => r.loc < f.hi);
      const rows = inside.length ? inside : [{ loc: f.lo, cfa: f.cieCfa }];
      for (const [i, r] of rows.entries()) {
        const next = rows[i + 1]?.loc ?? f.hi;
        for (const pc of new Set([r.loc, r.loc + 1n < next ? r.loc + 1n : r.loc, next - 1n])) {
          expect(cfaAt(info, pc), `pc 0x${pc.toString(16)}`).toEqual(r.cfa === "exp" ? undefined : parseCfa(r.cfa));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The PLT's CFA is an expression: no (reg, offset) rule there.
    expect(fdes.some((f) => f.rows.some((r) => r.cfa === "exp" && r.loc < f.hi))).toBe(true);
  });

  it("works from the ElfFile alone (a binary without debug info)", () => {
    const elf = new ElfFile(readFileSync(bin));
    for (const f of fdes.slice(0, 10)) expect(cfaAt(elf, f.lo)).toEqual(cfaAt(info, f.lo));
    const noDebug = build(cc, flags.filter((x) => !x.startsWith("-g")));
    expect(readDebugInfo(readFileSync(noDebug), x86_64)).toBeUndefined();
    const plain = new ElfFile(readFileSync(noDebug));
    for (const f of framesInterp(noDebug)) {
      const rows = f.rows.filter((r) => r.loc < f.hi);
      const last = rows.length ? rows[rows.length - 1]! : { loc: f.lo, cfa: f.cieCfa };
      expect(cfaAt(plain, last.loc)).toEqual(last.cfa === "exp" ? undefined : parseCfa(last.cfa));
    }
  });

  it("has no CFA outside every FDE", () => {
    expect(cfaAt(info, 0n)).toBeUndefined();
    const top = fdes.reduce((m, f) => (f.hi > m ? f.hi : m), 0n);
    expect(cfaAt(info, top + 0x1000n)).toBeUndefined();
  });
});

describe("the builds exercise what they claim", () => {
  it("-O2 code has remember_state/restore_state, and the FDE at that code changes the CFA back and forth", () => {
    const raw = run("readelf", ["--debug-dump=frames", build("gcc", ["-g", "-O2"])]);
    expect(raw).toContain("DW_CFA_remember_state");
    expect(raw).toContain("DW_CFA_restore_state");
  });
  it("the .debug_frame build has a .debug_frame section that readelf decodes", () => {
    const bin = build("gcc", ["-g", "-O0", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]);
    expect(run("readelf", ["--debug-dump=frames-interp", bin])).toContain("Contents of the .debug_frame section");
  });
});
