// The DWARF reader's function lookup and parameter lists (names, order, types) against
// llvm-dwarfdump, over gcc and clang builds at -O0 and -O2, DWARF 4 and 5.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findFunction, functionNames, readDebugInfo } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { typeToString } from "../../compiler/types/ctype.js";
import { ARGS_CALLS } from "../harness/targets/expected.js";
import { DWARFDUMP, build, dwarfdumpTree, oAddr, oFunction, oTypeRef, oTypeString, oVarName, run, walk as walkTree } from "./dwarf-oracle.js";

const FUNCS = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "take_enum", "walk", "optimized", "opaque", "early", "helper", "main"];

// Type-unit builds: llvm-dwarfdump does not resolve DW_AT_signature references in its
// text, so their expected types come from the same build without type units.
const OTHER = new URL("./fixtures/dwarf-other.c", import.meta.url).pathname;
const BUILDS: { label: string; cc: string; flags: string[]; version: number; typesFrom?: string[]; extra?: string[] }[] = [
  { label: "gcc -g -O0 (DWARF 5)", cc: "gcc", flags: ["-g", "-O0"], version: 5 },
  { label: "gcc -gdwarf-4 -O0", cc: "gcc", flags: ["-gdwarf-4", "-O0"], version: 4 },
  { label: "gcc -g -O2", cc: "gcc", flags: ["-g", "-O2"], version: 5 },
  { label: "gcc -gdwarf-4 -O2", cc: "gcc", flags: ["-gdwarf-4", "-O2"], version: 4 },
  { label: "clang -g -O0 (strx/addrx forms)", cc: "clang", flags: ["-g", "-O0"], version: 5 },
  { label: "clang -g -O2 (loclistx/rnglistx)", cc: "clang", flags: ["-g", "-O2"], version: 5 },
  { label: "gcc -g -O0 -fdebug-types-section (DWARF 5 type units)", cc: "gcc", flags: ["-g", "-O0", "-fdebug-types-section"], version: 5, typesFrom: ["-g", "-O0"] },
  { label: "gcc -g -O2 -flto, two sources (DW_FORM_ref_addr across units)", cc: "gcc", flags: ["-g", "-O2", "-flto"], version: 5, extra: [OTHER] },
  { label: "gcc -gdwarf-4 -O0 -fdebug-types-section (.debug_types)", cc: "gcc", flags: ["-gdwarf-4", "-O0", "-fdebug-types-section"], version: 4, typesFrom: ["-gdwarf-4", "-O0"] },
];

describe.each(BUILDS)("$label", ({ cc, flags, version, typesFrom, extra }) => {
  const bin = build(cc, flags, undefined, extra);
  const bytes = readFileSync(bin);
  const tree = dwarfdumpTree(bin);
  const typeTree = typesFrom ? dwarfdumpTree(build(cc, typesFrom)) : tree;

  it("is the DWARF version the build asked for", () => {
    expect(tree.versions.length).toBeGreaterThan(0); // compile units only
    expect(tree.versions.every((v) => v === version)).toBe(true);
  });

  it.each(FUNCS)("%s: entry, parameter names, order and types match llvm-dwarfdump", (name) => {
    const info = readDebugInfo(bytes, x86_64);
    expect(info).toBeDefined();
    const fn = findFunction(info!, name);
    const o = oFunction(tree, name);
    if (!o) {
      // Fully inlined at this optimization level: then no out-of-line definition either.
      expect(fn).toBeUndefined();
      return;
    }
    expect(fn).toBeDefined();
    expect(fn!.name).toBe(name);
    expect(fn!.lowPc).toBe(oAddr(o, "DW_AT_low_pc"));
    const oParams = o.children.filter((c) => c.tag === "DW_TAG_formal_parameter");
    expect(fn!.params.map((p) => p.name)).toEqual(oParams.map((p) => oVarName(tree, p)));
    const typeParams = typesFrom ? oFunction(typeTree, name)!.children.filter((c) => c.tag === "DW_TAG_formal_parameter") : oParams;
    expect(fn!.params.map((p) => typeToString(p.type))).toEqual(typeParams.map((p) => oTypeString(typeTree, oTypeRef(typeTree, p))));
  });

  it("lists the defined functions", () => {
    const names = functionNames(readDebugInfo(bytes, x86_64)!);
    for (const n of ["f1", "f8", "walk", "main"]) expect(names).toContain(n);
  });
});

describe("the builds use the encodings they claim", () => {
  it("the LTO build references DIEs across units (DW_FORM_ref_addr)", () => {
    const bin = build("gcc", ["-g", "-O2", "-flto"], undefined, [OTHER]);
    expect(run(DWARFDUMP, ["--debug-abbrev", bin])).toContain("DW_FORM_ref_addr");
    expect(dwarfdumpTree(bin).versions.length).toBeGreaterThan(1);
  });
  it("DWARF 5: DW_UT_type units in .debug_info; DWARF 4: a .debug_types section", () => {
    const v5 = run(DWARFDUMP, ["--debug-info", build("gcc", ["-g", "-O0", "-fdebug-types-section"])]);
    expect(v5).toMatch(/unit_type = DW_UT_type/);
    const v4 = run("readelf", ["-S", "-W", build("gcc", ["-gdwarf-4", "-O0", "-fdebug-types-section"])]);
    expect(v4).toMatch(/\.debug_types/);
  });
  it("clang uses the DWARF 5 index forms", () => {
    const ab = run(DWARFDUMP, ["--debug-abbrev", build("clang", ["-g", "-O2"])]);
    for (const f of ["DW_FORM_strx1", "DW_FORM_addrx", "DW_FORM_loclistx"]) expect(ab).toContain(f);
  });
});

describe("the uprobe harness target (test/harness/targets/args.c)", () => {
  it("has the parameters test/harness/targets/expected.ts lists, with their widths and signedness", () => {
    const src = new URL("../harness/targets/args.c", import.meta.url).pathname;
    const bin = build("gcc", ["-g", "-O0"], src);
    const info = readDebugInfo(readFileSync(bin), x86_64)!;
    for (const [fname, args] of Object.entries(ARGS_CALLS)) {
      const fn = findFunction(info, fname);
      expect(fn, fname).toBeDefined();
      expect(fn!.params.map((p) => p.name)).toEqual(args.map((a) => a.name));
      for (const [i, a] of args.entries()) {
        const t = fn!.params[i]!.type;
        expect(t.kind).toBe("int");
        if (t.kind === "int") expect([t.size, t.signed]).toEqual([a.size, a.signed]);
      }
    }
  });
});

describe("lookups that must fail", () => {
  it("an unknown function is undefined", () => {
    const info = readDebugInfo(readFileSync(build("gcc", ["-g", "-O0"])), x86_64)!;
    expect(findFunction(info, "no_such_function")).toBeUndefined();
  });
  it("a binary without debug info gives undefined", () => {
    expect(readDebugInfo(readFileSync(build("gcc", ["-O0"])), x86_64)).toBeUndefined();
  });
  it("a stripped binary gives undefined", () => {
    expect(readDebugInfo(readFileSync(build("gcc", ["-g", "-O0", "-s"])), x86_64)).toBeUndefined();
  });
  it("bytes that are not ELF throw", () => {
    expect(() => readDebugInfo(new TextEncoder().encode("#!/bin/sh\necho hi\n"), x86_64)).toThrow(/not an ELF/);
  });
});

describe("two compile units (dwarf-sample.c + dwarf-other.c)", () => {
  const other = new URL("./fixtures/dwarf-other.c", import.meta.url).pathname;
  const bin = build("gcc", ["-g", "-O0"], undefined, [other]);
  const tree = dwarfdumpTree(bin);

  /** The oracle's definitions of `name`: low_pc → parameter names. */
  function oDefs(name: string): Map<bigint, (string | undefined)[]> {
    const m = new Map<bigint, (string | undefined)[]>();
    walkTree(tree, (d) => {
      if (d.tag === "DW_TAG_subprogram" && oVarName(tree, d) === name && oAddr(d, "DW_AT_low_pc") !== undefined) {
        m.set(oAddr(d, "DW_AT_low_pc")!, d.children.filter((c) => c.tag === "DW_TAG_formal_parameter").map((c) => oVarName(tree, c)));
      }
    });
    return m;
  }

  it("finds a function of the second unit, and picks the symbol table's `helper` among two static ones", () => {
    expect(tree.versions.length).toBe(2);
    const info = readDebugInfo(readFileSync(bin), x86_64)!;
    const oe = findFunction(info, "other_entry")!;
    expect(oe.params.map((p) => `${p.name}:${typeToString(p.type)}`)).toEqual(["p:Ptr<pair>", "times:i32"]);
    expect(oe.lowPc).toBe(info.elf.symbolAddress("other_entry")!.value);
    const defs = oDefs("helper");
    expect(defs.size).toBe(2);
    const h = findFunction(info, "helper")!;
    expect(h.lowPc).toBe(info.elf.symbolAddress("helper")!.value);
    expect(h.params.map((p) => p.name)).toEqual(defs.get(h.lowPc));
  });

  it("without .symtab, falls back to the name index over all units", () => {
    const stripped = `${bin}.nosymtab`;
    run("strip", ["--strip-all", "--keep-section=.debug_*", "-o", stripped, bin]);
    const info = readDebugInfo(readFileSync(stripped), x86_64)!;
    expect(info.elf.symbolAddress("other_entry")).toBeUndefined();
    const oe = findFunction(info, "other_entry")!;
    expect(oe.params.map((p) => p.name)).toEqual(["p", "times"]);
    const h = findFunction(info, "helper")!;
    expect(oDefs("helper").get(h.lowPc)).toEqual(h.params.map((p) => p.name));
  });
});
