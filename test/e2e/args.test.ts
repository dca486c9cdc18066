// Fetching arguments at a uprobe: 1 to 8 arguments of every width, register- and
// stack-passed, values with garbage in the upper register bits. Each probe stores what
// it fetched (widened to 64 bits by its declared type) in an array map; the loader runs
// the C target, and the values must be exactly the C values.

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeSigned, decodeUnsigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_CALLS, type TargetArg } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

const tsType = (a: TargetArg) => `${a.signed ? "i" : "u"}${a.size * 8}`;

function probeSource(target: string, fns: string[]): string {
  const progs = fns.map((fn, n) => {
    const args = ARGS_CALLS[fn];
    const params = args.map((a) => `${a.name}: ${tsType(a)}`).join(", ");
    const stores = args.map((a, i) => `  out_${fn}.set(${i}, ${a.name});`).join("\n");
    return `const out_${fn} = new ArrayMap<i64>(8);\nexport const p${n}_${fn} = uprobe(${JSON.stringify(target)}, "${fn}", (${params}) => {\n${stores}\n  return 0;\n});`;
  });
  return `import { uprobe, ArrayMap, type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64 } from "bpftsc";\n\n${progs.join("\n\n")}\n`;
}

describe("uprobe argument fetch", () => {
  const fns = Object.keys(ARGS_CALLS);
  const target = buildTargetFile("args");
  const { object } = compileProbe("args", probeSource(target, fns));
  const result = runLoader(object, { attach: true, command: [target] });

  it("runs the target to completion", () => {
    expect(result.command?.exit_code).toBe(0);
  });

  for (const fn of fns) {
    it(`${fn}: every argument equals the C value, extended from its declared type`, () => {
      const map = getMap(result, `out_${fn}`);
      ARGS_CALLS[fn].forEach((a, i) => {
        const hex = lookup(map, i)!;
        const got = a.signed ? decodeSigned(hex) : decodeUnsigned(hex);
        expect({ arg: a.name, value: got }).toEqual({ arg: a.name, value: a.value });
      });
    });
  }

  it("fetchFailed() reports per parameter: stack reads that succeeded and register reads are 0", () => {
    const src = `import { uprobe, ArrayMap, fetchFailed, type i8, type u32, type u64 } from "bpftsc";
const flags = new ArrayMap<u64>(4);
export const p = uprobe(${JSON.stringify(target)}, "args8", (a: i8, arg6: u32, arg7: u64) => {
  flags.set(0, fetchFailed(a) ? 1 : 0);
  flags.set(1, fetchFailed(arg6) ? 1 : 0);
  flags.set(2, arg7);
  flags.set(3, 7);
});
`;
    const { object: o, listing } = compileProbe("fetch-failed", src);
    // The stack-passed argument's probe read result decides its flag.
    expect(listing).toMatch(/call 112/);
    const r = runLoader(o, { attach: true, command: [target] });
    const map = getMap(r, "flags");
    expect([0, 1, 2, 3].map((i) => decodeUnsigned(lookup(map, i)!))).toEqual([0n, 0n, 0xfedcba9876543210n, 7n]);
  });

  it("fetches the first 4 of 5 or more parameters into R6..R9 and the rest through a struct on the BPF stack", () => {
    const { listing } = compileProbe("args-listing", probeSource(target, ["args6"]));
    const lines = listing!.split("\n");
    // a..d straight from pt_regs into callee-saved registers, e and f stored to the stack.
    for (const r of ["r6", "r7", "r8", "r9"]) expect(lines.some((l) => new RegExp(`\\s${r} = \\*\\(u\\d+ \\*\\)\\(r1 \\+ \\d+\\)$`).test(l))).toBe(true);
    expect(listing).toMatch(/\*\(u32 \*\)\(r10 - \d+\) = r\d/);
    expect(listing).toMatch(/\*\(u64 \*\)\(r10 - \d+\) = r\d/);
  });

  it("loads register-passed values before a single stack-passed one: the context is not kept for it", () => {
    const src = `import { uprobe, ArrayMap, type i32, type i64 } from "bpftsc";
const out = new ArrayMap<i64>(4);
export const p = uprobe(${JSON.stringify(target)}, "args7", (a: i32, b: i32, g: i32) => {
  out.set(0, a);
  out.set(1, b);
  out.set(2, g);
});
`;
    const { object: o, listing } = compileProbe("args-one-stack", src);
    expect(listing).toMatch(/call 112/);
    expect(listing).not.toMatch(/\tr\d = r1$/m);
    const map = getMap(runLoader(o, { attach: true, command: [target] }), "out");
    expect([0, 1, 2].map((i) => decodeSigned(lookup(map, i)!))).toEqual([1n, -2n, 7n]);
  });
});
