// Optimized code: location lists (.debug_loclists via sec_offset and loclistx, .debug_loc
// in DWARF 4), entry values, constants, and pcs where a variable is optimized out —
// against llvm-dwarfdump, at every line-table address of each function.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findFunction, locationAt, readDebugInfo, variablesAt, type DwarfScope, type DwarfVariable, type LocExpr } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import {
  build, dwarfdumpLines, dwarfdumpTree, oExpectedLoc, oFunction, oLocation, oRanges, oVarName, oVisibleAt, type ODie, type OLocEntry, type OTree,
} from "./dwarf-oracle.js";

const FUNCS = ["f5", "f8", "take_enum", "walk", "optimized", "early", "opaque", "barrier"];

/** Variables in a fixed order: params, then per scope its variables and then its nested blocks. */
function mine(fn: { params: DwarfVariable[]; scopes: DwarfScope[] }): DwarfVariable[] {
  const out = [...fn.params];
  const go = (s: DwarfScope): void => {
    out.push(...s.vars);
    s.scopes.forEach(go);
  };
  fn.scopes.forEach(go);
  return out;
}

function theirs(t: OTree, fn: ODie): ODie[] {
  const out = fn.children.filter((c) => c.tag === "DW_TAG_formal_parameter");
  const go = (s: ODie): void => {
    out.push(...s.children.filter((c) => c.tag === "DW_TAG_variable" && !c.attrs.has("DW_AT_declaration") && oVarName(t, c) !== undefined));
    s.children.filter((c) => c.tag === "DW_TAG_lexical_block").forEach(go);
  };
  go(fn);
  return out;
}

/** Compares a LocExpr with the oracle's operation string (only the kind for unsupported ones). */
function sameLoc(got: LocExpr | undefined, ops: string | undefined): boolean {
  if (ops === undefined) return got === undefined;
  const want = oExpectedLoc(ops);
  if (!got) return false;
  if (want.kind === "unsupported") return got.kind === "unsupported";
  return JSON.stringify(got, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(want, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

function oracleOpsAt(entries: OLocEntry[], pc: bigint): string | undefined {
  return entries.find((e) => e.lo === undefined || (pc >= e.lo && pc < e.hi!))?.ops;
}

const BUILDS = [
  { label: "gcc -g -O2 (DWARF 5, .debug_loclists)", cc: "gcc", flags: ["-g", "-O2"], entryOp: "DW_OP_entry_value" },
  { label: "gcc -gdwarf-4 -O2 (.debug_loc)", cc: "gcc", flags: ["-gdwarf-4", "-O2"], entryOp: "DW_OP_GNU_entry_value" },
  { label: "clang -g -O2 (loclistx, rnglistx)", cc: "clang", flags: ["-g", "-O2"], entryOp: "DW_OP_entry_value" },
  { label: "clang -gdwarf-4 -O2 (.debug_loc relative to the unit's base address)", cc: "clang", flags: ["-gdwarf-4", "-O2"], entryOp: "DW_OP_GNU_entry_value" },
];

describe.each(BUILDS)("$label", ({ cc, flags, entryOp }) => {
  const bin = build(cc, flags);
  const tree = dwarfdumpTree(bin);
  const lines = dwarfdumpLines(bin);
  const info = readDebugInfo(readFileSync(bin), x86_64)!;
  const present = FUNCS.filter((f) => oFunction(tree, f));

  it("has most of the functions out of line", () => {
    expect(present.length).toBeGreaterThanOrEqual(6);
  });

  // Only the functions the compiler kept out of line have locations to compare.
  it.each(present)("%s: each variable's locations are the oracle's entries, range by range", (name) => {
    const o = oFunction(tree, name)!;
    const fn = findFunction(info, name)!;
    const mv = mine(fn);
    const ov = theirs(tree, o);
    expect(mv.map((v) => v.name)).toEqual(ov.map((d) => oVarName(tree, d)));
    for (const [i, v] of mv.entries()) {
      const ol = oLocation(ov[i]!);
      if (!ol) {
        expect(v.locations, v.name).toEqual([]);
        continue;
      }
      const entries = ol.entries.filter((e) => e.ops !== "");
      expect(v.locations.length, v.name).toBe(entries.length);
      for (const [j, e] of entries.entries()) {
        const l = v.locations[j]!;
        if (ol.list) expect([l.lo, l.hi], `${v.name} entry ${j}`).toEqual([e.lo, e.hi]);
        expect(sameLoc(l.expr, e.ops), `${v.name} entry ${j}: ${JSON.stringify(l.expr, (_k, x) => (typeof x === "bigint" ? x.toString() : x))} vs ${e.ops}`).toBe(true);
      }
    }
  });

  it.each(present)("%s: at every line-table address, the visible variables and where they are", (name) => {
    const o = oFunction(tree, name)!;
    const fn = findFunction(info, name)!;
    const ranges = oRanges(o);
    const pcs = new Set(lines.flatMap((t) => t.rows).filter((r) => !r.endSequence && ranges.some(([lo, hi]) => r.addr >= lo && r.addr < hi)).map((r) => r.addr));
    expect(pcs.size).toBeGreaterThan(0);
    for (const pc of pcs) {
      const vars = variablesAt(info, fn, pc);
      const ovars = oVisibleAt(tree, o, pc);
      expect(vars.map((v) => v.name), `pc 0x${pc.toString(16)}`).toEqual(ovars.map((d) => oVarName(tree, d)));
      for (const [i, v] of vars.entries()) {
        const ol = oLocation(ovars[i]!);
        const ops = ol ? oracleOpsAt(ol.entries.filter((e) => e.ops !== ""), pc) : undefined;
        expect(sameLoc(locationAt(v, pc), ops), `${v.name} at 0x${pc.toString(16)}: ${ops}`).toBe(true);
      }
    }
  });

  it("has location lists, entry values, and a variable optimized out at some pc of its function", () => {
    let lists = 0;
    let entryValues = 0;
    const outAt: string[] = [];
    for (const name of present) {
      const o = oFunction(tree, name)!;
      const fn = findFunction(info, name)!;
      const [lo, hi] = oRanges(o)[0]!;
      for (const [i, d] of theirs(tree, o).entries()) {
        const ol = oLocation(d);
        if (!ol?.list) continue;
        lists++;
        const v = mine(fn)[i]!;
        expect(v.locations.every((l) => l.lo !== undefined)).toBe(true);
        if (ol.entries.some((e) => e.ops.startsWith(entryOp))) {
          entryValues++;
          expect(v.locations.some((l) => l.expr.kind === "entry_value")).toBe(true);
        }
        // A pc of the function that no entry covers: optimized out there.
        for (let pc = lo; pc < hi; pc++) {
          if (ol.entries.some((e) => e.lo !== undefined && pc >= e.lo && pc < e.hi!)) continue;
          expect(locationAt(v, pc), `${name}.${v.name} at 0x${pc.toString(16)}`).toBeUndefined();
          outAt.push(`${name}.${v.name}@0x${pc.toString(16)}`);
          break;
        }
      }
    }
    expect(lists).toBeGreaterThan(3);
    expect(entryValues).toBeGreaterThan(0);
    expect(outAt.length).toBeGreaterThan(0);
  });
});

describe("gcc -O2: an out-of-line copy of an inlined function", () => {
  it("takes its parameter names and types from the abstract instance and its locations from the concrete one", () => {
    const bin = build("gcc", ["-g", "-O2"]);
    const tree = dwarfdumpTree(bin);
    const o = oFunction(tree, "opaque")!;
    expect(o.attrs.has("DW_AT_abstract_origin")).toBe(true);
    const fn = findFunction(readDebugInfo(readFileSync(bin), x86_64)!, "opaque")!;
    expect(fn.params.map((p) => p.name)).toEqual(["x"]);
    expect(fn.params[0]!.type).toMatchObject({ kind: "int", size: 8, signed: true });
    expect(fn.params[0]!.locations.length).toBeGreaterThan(0);
  });
});
