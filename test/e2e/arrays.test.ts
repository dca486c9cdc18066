// Fixed arrays indexed at run time: a histogram in a map value (`h.slots[bucket] += 1`),
// a stack-local array read and written through a variable index, with indexes out of
// range reading 0 and writing nothing, also where an inlined call's constant argument is
// the index. Driven by tick(i), i = 0..9 (targets/args.c).

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeSigned, decodeUnsigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

function source(target: string): string {
  return `import { uprobe, ArrayMap, HashMap, type i32, type i64, type u32, type u64, type FixedArray } from "bpftsc";

interface Histogram { slots: FixedArray<u64, 4> }
interface Scratch { vals: FixedArray<i64, 3> }

const hist = new ArrayMap<Histogram>(1);
const out = new HashMap<u32, i64>(64);
let g: FixedArray<i64, 3> = [5, 6, 7];

// Inlined with a constant argument, the index is still a run-time index in the source.
function pick(k: i64): i64 { return g[k]; }
function put(k: i64, v: i64): void { g[k] = v; }

export const onTick = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  const h = hist.get(0);
  if (h !== undefined) {
    h.slots[i % 4] += 1;     // in range
    h.slots[i + 2] += 100;   // i + 2 >= 4 writes nothing
  }
  const s: Scratch = { vals: [10, 20, 30] };
  s.vals[i] = i * 7;         // in range for i < 3 only
  out.set(i * 4 + 0, s.vals[i]);        // i * 7 for i < 3, else 0 (out of range)
  out.set(i * 4 + 1, s.vals[2 - i]);    // in range for i <= 2
  s.vals[i - 1]++;
  out.set(i * 4 + 2, s.vals[0] + s.vals[1] + s.vals[2]);
  put(3, 99);                // out of range: writes nothing
  out.set(i * 4 + 3, pick(0) + pick(1) + pick(2) + pick(3) + pick(-1));   // 5 + 6 + 7 + 0 + 0
});
`;
}

describe("run-time array indexes", () => {
  const target = buildTargetFile("args");
  const { object, listing } = compileProbe("arrays", source(target));
  const r = runLoader(object, { attach: true, command: [target] });

  it("bounds-checks the index with one unsigned compare against the length", () => {
    expect(listing).toMatch(/if r\d >= 4 goto/);
    expect(listing).toMatch(/if r\d >= 3 goto/);
  });

  it("a histogram in a map value counts per bucket; out-of-range writes are dropped", () => {
    const hex = lookup(getMap(r, "hist"), 0)!;
    const slots = [0, 1, 2, 3].map((k) => decodeUnsigned(hex, k * 8, 8));
    const want = [0n, 1n, 2n, 3n].map((k) => BigInt(ARGS_TICKS.filter((i) => i % 4n === k).length) + (k >= 2n ? 100n * BigInt(ARGS_TICKS.filter((i) => i + 2n === k).length) : 0n));
    expect(slots).toEqual(want);
  });

  it("a stack array read and written at run-time indexes; out of range reads 0", () => {
    const map = getMap(r, "out");
    for (const i of ARGS_TICKS) {
      const vals = [10n, 20n, 30n];
      if (i < 3n) vals[Number(i)] = i * 7n;
      const first = i < 3n ? i * 7n : 0n;
      const second = 2n - i >= 0n ? vals[Number(2n - i)] : 0n;
      if (i - 1n >= 0n && i - 1n < 3n) vals[Number(i - 1n)] += 1n;
      const sum = vals.reduce((a, b) => a + b, 0n);
      expect([0, 1, 2, 3].map((k) => decodeSigned(lookup(map, Number(i) * 4 + k)!))).toEqual([first, second, sum, 18n]);
    }
  });
});
