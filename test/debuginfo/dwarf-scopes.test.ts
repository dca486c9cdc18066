// Variables visible at a pc (lexical blocks, shadowing) and their -O0 locations, the
// frame base, and the CFA at that pc — against llvm-dwarfdump and readelf frames-interp.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cfaAt, findFunction, lineAddresses, locationAt, prologueEnd, readDebugInfo, variablesAt } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import {
  build, dwarfdumpTree, framesInterp, lineOf, oCfaAt, oExpectedLoc, oFunction, oLocation, oVarName, oVisibleAt, parseCfa,
} from "./dwarf-oracle.js";

describe.each([
  { label: "gcc -g -O0 (DWARF 5)", cc: "gcc", flags: ["-g", "-O0"] },
  { label: "gcc -gdwarf-4 -O0", cc: "gcc", flags: ["-gdwarf-4", "-O0"] },
  { label: "clang -g -O0", cc: "clang", flags: ["-g", "-O0"] },
])("$label", ({ cc, flags }) => {
  const bin = build(cc, flags);
  const tree = dwarfdumpTree(bin);
  const frames = framesInterp(bin);
  const info = readDebugInfo(readFileSync(bin), x86_64)!;
  const walkFn = findFunction(info, "walk")!;
  const oWalk = oFunction(tree, "walk")!;

  const cases = [
    { marker: "sink += total;", innermost: "total", depth: 2 },
    { marker: "total += v;", innermost: "v", depth: 1 },
    { marker: "sink += count;", innermost: "count", depth: 1 },
    { marker: "return total + count;", innermost: "total", depth: 0 },
  ];

  it.each(cases)("at the line of `$marker`: visible variables, innermost first, as llvm-dwarfdump's scopes say", ({ marker, innermost, depth }) => {
    const pcs = lineAddresses(info, "dwarf-sample.c", lineOf(marker));
    expect(pcs.length).toBeGreaterThan(0);
    for (const pc of pcs) {
      const vars = variablesAt(info, walkFn, pc);
      const expected = oVisibleAt(tree, oWalk, pc);
      expect(vars.map((v) => v.name)).toEqual(expected.map((d) => oVarName(tree, d)));
      expect(vars[0]!.name).toBe(innermost);
      // The scope chain really is that deep (the marker is inside nested blocks).
      let s = walkFn.scopes[0]!;
      for (let i = 0; i < depth; i++) {
        const inner = s.scopes.find((c) => c.ranges.some(([lo, hi]) => pc >= lo && pc < hi));
        expect(inner, `block ${i + 1} around ${marker}`).toBeDefined();
        s = inner!;
      }
      // Every visible variable has the frame-base-relative home llvm-dwarfdump shows.
      for (const [i, v] of vars.entries()) {
        const o = oLocation(expected[i]!)!;
        expect(o.list).toBe(false);
        const loc = locationAt(v, pc);
        expect(loc).toEqual(oExpectedLoc(o.entries[0]!.ops));
        expect(loc!.kind).toBe("fbreg");
      }
    }
  });

  it("the shadowing `total` is the inner block's, at a different stack slot from the outer one", () => {
    const pc = lineAddresses(info, "dwarf-sample.c", lineOf("sink += total;"))[0]!;
    const inner = variablesAt(info, walkFn, pc).find((v) => v.name === "total")!;
    const outer = walkFn.scopes[0]!.vars.find((v) => v.name === "total")!;
    expect(inner).not.toBe(outer);
    expect(locationAt(inner, pc)).not.toEqual(locationAt(outer, pc));
  });

  it("frame base as llvm-dwarfdump shows it", () => {
    expect(walkFn.frameBase).toEqual(oExpectedLoc(oWalk.attrs.get("DW_AT_frame_base")!));
  });

  it("the CFA at those pcs is rbp+16, as readelf --debug-dump=frames-interp says", () => {
    for (const c of cases) {
      for (const pc of lineAddresses(info, "dwarf-sample.c", lineOf(c.marker))) {
        const cfa = cfaAt(info, pc);
        expect(cfa).toEqual(parseCfa(oCfaAt(frames, pc)!));
        expect(cfa).toEqual({ reg: 6, offset: 16n });
      }
    }
  });

  it("after the prologue of each function, the CFA is rbp+16; at its entry, rsp+8", () => {
    for (const name of ["f1", "f5", "f8", "walk", "optimized", "main"]) {
      const fn = findFunction(info, name)!;
      const pe = prologueEnd(info, fn);
      expect(pe).toBeGreaterThan(fn.lowPc);
      expect(cfaAt(info, pe)).toEqual({ reg: 6, offset: 16n });
      expect(cfaAt(info, fn.lowPc)).toEqual({ reg: 7, offset: 8n });
      expect(oCfaAt(frames, pe)).toBe("rbp+16");
    }
  });
});
