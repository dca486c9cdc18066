// Counted loops that only add up a polynomial of their counter (compiler/frontend/
// sum-loops.ts): lowered without a loop. Checked on the IR (--dump-ir) of small probes;
// the values such loops compute run in the kernel in test/e2e/language.test.ts.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { buildTargetFile } from "../harness/harness.js";

function ir(body: string): string {
  const target = buildTargetFile("args");
  const source = `import { uprobe, ArrayMap, type i32, type i64, type u32 } from "bpftsc";
const out = new ArrayMap<i64>(4);
export const p = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  ${body}
  out.set(0, s);
});
`;
  const r = compile({ fileName: "sum.ts", source, dumpIr: true });
  expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
  return r.ir!;
}

const count = (text: string, re: RegExp): number => text.split("\n").filter((l) => re.test(l)).length;

describe("loops that only add up", () => {
  it("for (k < 10) s += k * i: one multiply by 45, no loop", () => {
    const text = ir(`let s: i64 = 0;\n  for (let k = 0; k < 10; k++) s += k * i;`);
    expect(count(text, /^\s+br /)).toBe(0);
    expect(count(text, /= mul %\d+, 45$/)).toBe(1);
  });

  it("several sums, a square of the counter, a step of 3 and a count: still no loop", () => {
    const text = ir(`let s: i64 = 1;\n  let n: u32 = 0;\n  for (let k: u32 = 3; k <= 30; k += 3) { s -= k * k - i; n++; s += i; }`);
    expect(count(text, /^\s+br /)).toBe(0);
  });

  for (const [what, body] of [
    ["a condition with more than the counter", `let s: i64 = 0;\n  for (let k = 0; k < 10 && s < 100; k++) s += k;`],
    ["a sum that reads another sum", `let s: i64 = 0;\n  let t: i64 = 0;\n  for (let k = 0; k < 10; k++) { t += k; s += t; }`],
    ["a power of the counter above 3", `let s: i64 = 0;\n  for (let k = 0; k < 10; k++) s += k * k * k * k;`],
    ["a division", `let s: i64 = 0;\n  for (let k = 0; k < 10; k++) s += i / (k + 1);`],
    ["a statement that is not a sum", `let s: i64 = 0;\n  for (let k = 0; k < 10; k++) { s += k; out.set(1, k); }`],
  ]) {
    it(`stays a loop with ${what}`, () => {
      expect(count(ir(body), /^\s+br /)).toBeGreaterThan(0);
    });
  }
});
