// Which of the file's functions become subprograms (compiler/frontend/functions.ts): a
// large function stays a call only where some program would lower it more than once;
// called once in each of several programs, it is inlined into each. Checked on the
// listing (-S) of small probes.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { buildTargetFile } from "../harness/harness.js";

/** A function well over the inlining size, and two programs calling it as `calls` say. */
function listing(calls: { first: string; second: string }): string {
  const target = JSON.stringify(buildTargetFile("args"));
  const source = `import { uprobe, ArrayMap, type i32, type i64 } from "bpftsc";
const out = new ArrayMap<i64>(4);
function mix(x: i64, k: i64): i64 {
  let s = x;
  if (s > k) s = s * 3 + k; else s = s * 5 - k;
  if (s < 0) s = -s;
  s ^= s >> 7;
  s += k * 11;
  if (s % 3 === 0) s += 1;
  return s;
}
function twice(x: i64): i64 { return mix(x, 1) + mix(x, 2); }
export const a = uprobe(${target}, "tick", (i: i32) => { ${calls.first} });
export const b = uprobe(${target}, "tick", (i: i32) => { ${calls.second} });
`;
  const r = compile({ fileName: "inline-choice.ts", source });
  expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
  return r.listing!;
}

describe("subprograms or inlined calls", () => {
  it("a large function each program calls once is inlined into each: no subprogram, no call", () => {
    const text = listing({ first: "out.set(0, mix(i, 1));", second: "out.set(1, mix(i, 2));" });
    expect(text).not.toMatch(/<mix>:/);
    expect(text).not.toContain("call -1");
  });

  it("one program calling it twice (through an inlined caller too) makes it a subprogram", () => {
    expect(listing({ first: "out.set(0, mix(i, 1) + mix(i, 3));", second: "out.set(1, mix(i, 2));" })).toMatch(/<mix>:/);
    expect(listing({ first: "out.set(0, twice(i));", second: "out.set(1, mix(i, 2));" })).toMatch(/<mix>:/);
  });
});
