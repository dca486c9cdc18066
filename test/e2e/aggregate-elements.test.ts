// Run-time indexes into arrays of structs, of Chars and of arrays, and atomicAdd on array
// elements at run-time indexes: fields read and written through `a[i].f`, comm() into
// `names[i]`, a whole element copied into a map, a nested `grid[i][j]`, a 12-byte element
// (a multiply, not a shift), a stack array of structs, and lock xadd on a map value's and
// a global's elements. Out of range reads 0 and writes nothing. Driven by tick(i),
// i = 0..9 (targets/args.c), in order.

import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeCString, decodeSigned, decodeUnsigned, getGlobal, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

function source(target: string): string {
  return `import { uprobe, ArrayMap, HashMap, comm, atomicAdd, type i32, type i64, type u16, type u32, type u64, type Chars, type FixedArray } from "bpftsc";

interface Cell { n: u32; tag: u16; k: u32 }   // 12 bytes
interface Table {
  cells: FixedArray<Cell, 5>;
  names: FixedArray<Chars<16>, 3>;
  grid: FixedArray<FixedArray<u32, 3>, 4>;
  counts: FixedArray<u64, 4>;
}
interface Pair { a: i64; b: i64 }
interface Pairs { ps: FixedArray<Pair, 3> }

const table = new ArrayMap<Table>(1);
const out = new HashMap<u32, i64>(64);
const copies = new HashMap<u32, Cell>(16);
let totals!: FixedArray<u64, 4>;

export const onTick = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  const t = table.get(0);
  if (t === undefined) return;
  t.cells[i].n += 1;                 // i >= 5 writes nothing
  t.cells[i].k = i * 3;
  t.cells[i % 5].tag += 2;
  out.set(i * 4 + 0, t.cells[i].k);      // i * 3 for i < 5, else 0
  out.set(i * 4 + 1, t.cells[i - 1].k);  // set by the tick before, for 1 <= i <= 5
  t.names[i] = comm();               // i < 3 only
  copies.set(i, t.cells[i - 2]);     // a whole element; zero when out of range
  t.grid[i % 4][i % 3] += i;
  t.grid[i][0] += 1000;              // i >= 4 writes nothing
  atomicAdd(t.counts[i % 4], 1);
  atomicAdd(t.counts[i + 1], 10);    // i + 1 >= 4 writes nothing
  atomicAdd(totals[i % 4], i);
  const s: Pairs = { ps: [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }] };
  s.ps[i].b = 100;
  out.set(i * 4 + 2, s.ps[i].a + s.ps[i].b);   // 101, 103, 105, then 0
  out.set(i * 4 + 3, s.ps[2 - i].b);           // in range for i <= 2
});
`;
}

describe("run-time indexes into arrays of structs and arrays, and atomicAdd on elements", () => {
  const target = buildTargetFile("args");
  const { object, listing } = compileProbe("aggregate-elements", source(target));
  const r = runLoader(object, { attach: true, command: [target] });
  const ticks = ARGS_TICKS.map(Number);
  const table = () => lookup(getMap(r, "table"), 0)!;

  it("scales a 12-byte element's index with a multiply and adds with lock xadd", () => {
    expect(listing).toMatch(/\*= 12/);
    expect(listing).toMatch(/lock \*\(u64 \*\)/);
  });

  it("reads and writes struct fields through a run-time index; out of range is dropped", () => {
    const hex = table();
    for (let j = 0; j < 5; j++) {
      const at = j * 12;
      expect([decodeUnsigned(hex, at, 4), decodeUnsigned(hex, at + 4, 2), decodeUnsigned(hex, at + 8, 4)])
        .toEqual([BigInt(ticks.filter((i) => i === j).length), BigInt(2 * ticks.filter((i) => i % 5 === j).length), BigInt(j * 3)]);
    }
  });

  it("out-of-range elements read 0, also right after a write to them", () => {
    const map = getMap(r, "out");
    for (const i of ticks) {
      const ps = [[1, 2], [3, 4], [5, 6]];
      if (i < 3) ps[i]![1] = 100;
      const want = [i < 5 ? i * 3 : 0, i >= 1 && i <= 5 ? (i - 1) * 3 : 0, i < 3 ? ps[i]![0]! + ps[i]![1]! : 0, 2 - i >= 0 ? ps[2 - i]![1]! : 0];
      expect([0, 1, 2, 3].map((k) => decodeSigned(lookup(map, i * 4 + k)!))).toEqual(want.map(BigInt));
    }
  });

  it("copies a whole struct element, a zeroed one when out of range", () => {
    const map = getMap(r, "copies");
    for (const i of ticks) {
      const hex = lookup(map, i)!;
      const want = i >= 2 && i <= 6 ? [1n, 2n, BigInt((i - 2) * 3)] : [0n, 0n, 0n];
      expect([decodeUnsigned(hex, 0, 4), decodeUnsigned(hex, 4, 2), decodeUnsigned(hex, 8, 4)]).toEqual(want);
    }
  });

  it("fills a Chars slot at a run-time index with comm()", () => {
    const hex = table();
    const names = [0, 1, 2].map((j) => decodeCString(hex, 60 + j * 16, 16));
    expect(names).toEqual([0, 1, 2].map(() => path.basename(target).slice(0, 15)));
  });

  it("indexes an array of arrays at two run-time indexes", () => {
    const hex = table();
    const grid = [0, 1, 2, 3].map(() => [0n, 0n, 0n]);
    for (const i of ticks) {
      grid[i % 4]![i % 3]! += BigInt(i);
      if (i < 4) grid[i]![0]! += 1000n;
    }
    expect([0, 1, 2, 3].map((a) => [0, 1, 2].map((b) => decodeUnsigned(hex, 108 + (a * 3 + b) * 4, 4)))).toEqual(grid);
  });

  it("adds atomically to a map value's and a global's elements at run-time indexes", () => {
    const hex = table();
    const counts = [0, 1, 2, 3].map((k) => BigInt(ticks.filter((i) => i % 4 === k).length + 10 * ticks.filter((i) => i + 1 === k).length));
    expect([0, 1, 2, 3].map((k) => decodeUnsigned(hex, 160 + k * 8, 8))).toEqual(counts);
    const totals = getGlobal(r, "totals").value;
    expect([0, 1, 2, 3].map((k) => decodeUnsigned(totals, k * 8, 8))).toEqual([0, 1, 2, 3].map((k) => BigInt(ticks.filter((i) => i % 4 === k).reduce((a, b) => a + b, 0))));
  });
});
