// uprobe parameters bound by name from the target's DWARF (gcc -g: DWARF 5, and
// -gdwarf-4): names out of order and in any subset, 7th and 8th arguments from the stack,
// types from DWARF when unannotated; locals fetched at a source line inside a function
// (file.c:line), at the location DWARF gives there; and the diagnostics for unknown
// names, missing debug information and optimized-out variables.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { TARGETS_DIR, buildTarget, buildTargetFile, decodeStruct, decodeSigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_CALLS, STRUCTS_LIST } from "../harness/targets/expected.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";

const value = (fn: string, name: string) => ARGS_CALLS[fn].find((a) => a.name === name)!.value;

function outOfOrderProbe(target: string): string {
  return `import { uprobe, ArrayMap, type i8, type i64, type u32, type u64 } from "bpftsc";
const out = new ArrayMap<i64>(8);
// args8(char a, short b, int c, long d, unsigned char e, unsigned short f, unsigned int g, unsigned long h)
export const p = uprobe(${JSON.stringify(target)}, "args8", (h: u64, a: i8, g: u32, d) => {
  out.set(0, h);
  out.set(1, a);
  out.set(2, g);
  out.set(3, d);
});
`;
}

describe("uprobe parameters by name from DWARF", () => {
  for (const flags of [["-g", "-O0"], ["-gdwarf-4", "-O0"]]) {
    it(`names out of order, a subset, stack-passed ones, an unannotated one (gcc ${flags.join(" ")})`, () => {
      const target = buildTargetFile("args", flags);
      const { object, listing } = compileProbe(`user-names${flags[0]}`, outOfOrderProbe(target));
      // h is the 8th argument: read from the probed stack at sp+16.
      expect(listing).toMatch(/r\d = \*\(u64 \*\)\(r\d \+ 152\)/);
      const r = runLoader(object, { attach: true, command: [target] });
      const map = getMap(r, "out");
      const got = [0, 1, 2, 3].map((i) => decodeSigned(lookup(map, i)!));
      expect(got).toEqual([BigInt.asIntN(64, value("args8", "h")), value("args8", "a"), value("args8", "g"), value("args8", "d")]);
    });
  }

  // -O0: the locals live in frame slots (fbreg through the CFA); -O2: in registers, as
  // the location lists say at that address.
  for (const flags of [["-g", "-O0"], ["-g", "-O2"]]) {
    it(`locals at a source line inside a function, at their DWARF locations (gcc ${flags.join(" ")})`, () => {
      const target = buildTargetFile("structs", flags);
      const line = fs.readFileSync(path.join(TARGETS_DIR, "structs.c"), "utf8").split("\n").findIndex((l) => l.includes("sum += n->value;")) + 1;
      const { object } = compileProbe(`user-line${flags[1]}`, `import { uprobe, RingBuf, type i64, type Ptr } from "bpftsc";
interface Node { value: i64; next: Ptr<Node> }
interface Step { sum: i64; value: i64 }
const steps = new RingBuf<Step>(4096);
export const inLoop = uprobe(${JSON.stringify(target)}, "structs.c:${line}", (sum: i64, n: Ptr<Node>) => {
  steps.output({ sum, value: n.value });
});
`);
      const r = runLoader(object, { attach: true, command: [target] });
      expect(r.programs[0].section).toMatch(/^uprobe\/.*:sum_list\+0x[0-9a-f]+$/);
      const steps = getMap(r, "steps").records!.map((hex) => decodeStruct(hex, { sum: { offset: 0, type: "i64" }, value: { offset: 8, type: "i64" } }));
      const sums = STRUCTS_LIST.map((_, i) => STRUCTS_LIST.slice(0, i).reduce((a, b) => a + b, 0n));
      expect(steps).toEqual(STRUCTS_LIST.map((v, i) => ({ sum: sums[i], value: v })));
    });
  }

  it("an unknown name is an error listing the function's parameters", () => {
    const target = buildTargetFile("args");
    const file = path.join(OUT_DIR, "user-unknown.ts");
    const source = outOfOrderProbe(target).replace("(h: u64, a: i8, g: u32, d)", "(h: u64, a: i8, g: u32, dd)").replace("out.set(3, d)", "out.set(3, dd)");
    fs.writeFileSync(file, source);
    const r = compile({ fileName: file, source });
    expect(r.object).toBeUndefined();
    expect(formatDiagnostic(r.diagnostics[0])).toMatch(/error BPF6001: args8\(\) has no parameter 'dd'\. Its parameters: a: char, b: short( int)?, c: int, d: long( int)?, e: unsigned char, f: (unsigned short|short unsigned)( int)?, g: (unsigned int|unsigned), h: (unsigned long|long unsigned)( int)?\./);
  });

  it("without debug information: a warning, and binding by position", () => {
    const target = buildTarget("args-nodebug", fs.readFileSync(path.join(TARGETS_DIR, "args.c"), "utf8"), ["-O0"]);
    const file = path.join(OUT_DIR, "user-nodebug.ts");
    const source = `import { uprobe, ArrayMap, type i32 } from "bpftsc";
const out = new ArrayMap<i32>(1);
export const p = uprobe(${JSON.stringify(target)}, "args1", (x: i32) => { out.set(0, x); });
`;
    fs.writeFileSync(file, source);
    const r = compile({ fileName: file, source });
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", 6005]]);
    fs.writeFileSync(path.join(OUT_DIR, "user-nodebug.o"), r.object!);
    const res = runLoader(path.join(OUT_DIR, "user-nodebug.o"), { attach: true, command: [target] });
    expect(decodeSigned(lookup(getMap(res, "out"), 0)!)).toBe(value("args1", "a"));
  });

  it("a variable optimized out at the probe point is an error", () => {
    // gcc -O2 keeps the call (it has side effects) but not its unused result: the
    // variable's DIE has no location at all. llvm-dwarfdump, not bpftsc's own reader,
    // says so.
    const target = buildTarget("optout", `#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long scale(long n, long k)
{
	long unused_sq = random();
	long r = n * k;
	return r + 1;
}
int main(int argc, char **argv)
{
	printf("%ld\\n", scale(argc, 7));
	return 0;
}
`, ["-g", "-O2"]);
    const die = spawnSync("llvm-dwarfdump", ["--name=unused_sq", target], { encoding: "utf8" }).stdout;
    expect(die).toContain('DW_AT_name\t("unused_sq")');
    expect(die).not.toMatch(/DW_AT_location|DW_AT_const_value/);
    const found = { line: 6, name: "unused_sq" };
    fs.mkdirSync(OUT_DIR, { recursive: true });
    const file = path.join(OUT_DIR, "user-optout.ts");
    const source = `import { uprobe, ArrayMap, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(1);
export const p = uprobe(${JSON.stringify(target)}, "optout.c:${found.line}", (${found.name}: u64) => { out.set(0, ${found.name}); });
`;
    fs.writeFileSync(file, source);
    const r = compile({ fileName: file, source });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics[0].code).toBe(6004);
    expect(r.diagnostics[0].message).toContain(`'${found.name}' is optimized out in scale`);
  });
});
