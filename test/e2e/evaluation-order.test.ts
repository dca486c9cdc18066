// TypeScript's order of evaluation at run time (README "Order of evaluation"): operands
// left to right, a compound assignment's target read before its right side, call
// arguments and object-literal members in the order they are written, a literal built
// before it is assigned. Each case reads a place (a global, a field, an element, a
// variable) and then calls a function that writes it, or assigns it, to its right; the
// fuzzer found the first ones (known bug 1 of test/fuzz/known-bugs.md, seeds 43 and
// 1531). Through a uprobe on tick(i) of targets/args.c, the values read back from out[].

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeSigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { compileProbe } from "./compile-helper.js";

const HEADER = `import { uprobe, ArrayMap, HashMap, type Bits, type FixedArray, type i16, type i32, type i64, type u8, type u32 } from "bpftsc";
const out = new ArrayMap<i64>(16);
const hm = new HashMap<i64, i64>(16);
let g: i64 = 0;
let small: u8 = 0;
let big: i64 = 0;
let ga: FixedArray<u32, 2> = [0, 0];
interface S { a: i64; b: i64 }
interface B { lo: Bits<u32, 8>; hi: u32 }
/** Writes every global, and returns 50. */
function bump(): i64 { g = 100; small = 0; big %= 7; ga[0] = 0; ga[1] = 0; return 50; }
/** @noinline */
function bumpSub(): i64 { g = 100; return 50; }
function setA(s: S): i64 { s.a = 100; return 1; }
/** @noinline */
function minus(a: i64, b: i64): i64 { return a - b; }
`;

interface Case { name: string; body: string; expect: bigint[] }

const CASES: Case[] = [
  {
    name: "a compound assignment reads its target first: a global, an element, one at a run-time index",
    body: `small = 196; small >>>= (bump() - 50) as i16; out.set(0, small);
  ga[0] = 5; ga[0] ^= bump(); out.set(1, ga[0]);
  ga[1] = 6; ga[i & 1] += bump(); out.set(2, ga[i & 1]);`,
    expect: [196n, 55n, 56n],
  },
  {
    name: "binary operators and comparisons read their left operand before the right one runs",
    body: `big = 0x7fffffffffffffff; out.set(0, big >>> (bump() - 50));
  g = 10; out.set(1, g + bumpSub());
  const s: S = { a: 1, b: 0 }; out.set(2, s.a + setA(s));
  g = 10; out.set(3, g < bump() ? 1 : 0);
  g = 10; if (g < bumpSub()) out.set(4, 1);`,
    expect: [0x7fffffffffffffffn, 60n, 2n, 1n, 1n],
  },
  {
    name: "call arguments, map keys and object-literal members are evaluated in the order written",
    body: `g = 10; out.set(0, minus(g, bump()));
  g = 10; hm.set(g, bump()); out.set(1, hm.get(10) ?? -1);
  g = 10; const p: S = { b: bump(), a: g }; out.set(2, p.a);
  g = 10; const q: B = { lo: g as u32, hi: bumpSub() as u32 }; out.set(3, q.lo);`,
    expect: [-40n, 50n, 100n, 10n],
  },
  {
    name: "a variable read before ++ or an assignment to its right changes it",
    body: `let x: i64 = 5; out.set(0, x + x++); out.set(1, x);
  let y: i64 = 5; y += (y = 1); out.set(2, y);
  let r: FixedArray<i64, 3> = [0, 0, 0]; let j: i32 = i & 1; r[j] = j++; out.set(3, r[0] + r[1] * 10 + r[2] * 100);
  let z: i64 = 5; out.set(4, minus(z, z++));`,
    expect: [10n, 6n, 6n, 10n, 0n],
  },
  {
    name: "a literal is built before it is assigned: swapping fields and elements",
    body: `let s: S = { a: 1, b: 2 }; s = { a: s.b, b: s.a }; out.set(0, s.a * 10 + s.b);
  let r: FixedArray<i64, 2> = [3, 4]; r = [r[1], r[0]]; out.set(1, r[0] * 10 + r[1]);`,
    expect: [21n, 43n],
  },
];

describe("order of evaluation at run time", () => {
  const target = buildTargetFile("args");
  for (const c of CASES) {
    it(c.name, () => {
      const source = `${HEADER}
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  ${c.body}
});
`;
      const { object } = compileProbe(`order-${c.name.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 40)}`, source);
      const map = getMap(runLoader(object, { attach: true, command: [target] }), "out");
      expect(c.expect.map((_, k) => decodeSigned(lookup(map, k)!))).toEqual(c.expect);
    });
  }
});
