// The reader on a larger binary (thousands of functions and struct types in one unit, and
// the same split over many units): the lookups a probe compile makes give the right
// answers. (How long they take is measured by `npm run bench`, not asserted here.)

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cfaAt, findFunction, lineAddresses, locationAt, prologueEnd, readDebugInfo, variablesAt } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { DWARFDUMP, build, run, writeSource } from "./dwarf-oracle.js";

const N = 3000;

function unitSource(from: number, to: number): string {
  let s = "volatile long sink_" + from + ";\n";
  for (let i = from; i < to; i++) {
    s += `struct s${i} { long a; int b[4]; struct s${i} *next; char name[8]; };
__attribute__((noinline, used)) long fn${i}(struct s${i} *p, int k, short j)
{
	long acc = 0;
	for (int q = 0; q < k; q++) {
		long t = p->a + q + j; /* body of fn${i} */
		acc += t;
	}
	sink_${from} += acc;
	return acc;
}
`;
  }
  return s;
}

describe.each([
  { label: "one unit", units: 1, cc: "gcc" },
  { label: "30 units", units: 30, cc: "gcc" },
  { label: "one unit, clang", units: 1, cc: "clang" },
])(`${N} functions: $label ($cc)`, ({ units, cc }) => {
  const per = N / units;
  const files = Array.from({ length: units }, (_, u) => writeSource(`perf-${units}-${u}.c`, unitSource(u * per, (u + 1) * per) + (u === 0 ? "int main(void) { return 0; }\n" : "")));
  const bin = build(cc, ["-g", "-O0"], files[0], files.slice(1));
  const last = N - 1;

  it("reads, finds the last function, its variables after the prologue, a line's address and the CFA there", () => {
    const info = readDebugInfo(readFileSync(bin), x86_64)!;
    const fn = findFunction(info, `fn${last}`)!;
    const pe = prologueEnd(info, fn);
    const params = variablesAt(info, fn, pe);
    const src = readFileSync(files[files.length - 1]!, "utf8").split("\n");
    const line = src.findIndex((l) => l.includes(`/* body of fn${last} */`)) + 1;
    const [pc] = lineAddresses(info, `perf-${units}-${units - 1}.c`, line);
    const inner = variablesAt(info, fn, pc!);
    const cfa = cfaAt(info, pc!);

    // Right answers, checked against llvm-dwarfdump.
    const dump = run(DWARFDUMP, [`--name=fn${last}`, "-c", bin]);
    const names = dump.split(/\n(?=0x[0-9a-f]+:)/).filter((b) => b.includes("DW_TAG_formal_parameter")).map((b) => /DW_AT_name\s+\("(\w+)"\)/.exec(b)?.[1]);
    expect(names).toEqual(["p", "k", "j"]);
    expect(fn.params.map((p) => p.name)).toEqual(names);
    expect(params.map((v) => v.name)).toEqual(["acc", "p", "k", "j"]);
    expect(inner.map((v) => v.name)).toEqual(["t", "q", "acc", "p", "k", "j"]);
    expect(inner.every((v) => locationAt(v, pc!)?.kind === "fbreg")).toBe(true);
    expect(cfa).toEqual({ reg: 6, offset: 16n });
  });
});
