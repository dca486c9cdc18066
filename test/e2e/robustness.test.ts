// Robustness of the frontend: small programs a user would write, in combinations the
// other tests do not cover (inlined functions with loops and early returns, `??` chains,
// struct values in maps and locals, FixedArray and bool fields, mixed-width comparisons,
// casts, shifts, spills across helper calls, several programs sharing maps, ...).
//
// Contract checked for every in-subset probe: compile() does not throw, reports no error,
// and the kernel's verifier accepts the object (the loader attaches it to a uprobe in
// targets/args.c and runs the target). Where a probe writes results to its `out` array,
// they must be exactly what README's semantics say, computed here from the values
// targets/args.c passes (expected.ts).
//
// Every out-of-subset probe must give an error diagnostic with a code and a plausible
// line and column, never throw and never produce an object.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { compile } from "../../compiler/index.js";
import { buildTarget, buildTargetFile, decodeSigned, getMap, lookup, runLoader, type LoaderResult } from "../harness/harness.js";
import { ARGS_CALLS, ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const TICKS = ARGS_TICKS;
const LAST = TICKS[TICKS.length - 1];
const A8 = Object.fromEntries(ARGS_CALLS.args8.map((a) => [a.name, a.value])) as Record<string, bigint>;

const HEADER = `import {
  uprobe, HashMap, LruHashMap, PerCpuHashMap, ArrayMap, printk, pid, tid, uid, gid, cpu, ktimeNs, comm, readStr,
  type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64, type bool,
  type Ptr, type Chars, type FixedArray,
} from "bpftsc";
const out = new ArrayMap<i64>(32);
`;

interface Probe {
  name: string;
  /** Top-level declarations before the program. */
  prelude?: string;
  /** The uprobed function of targets/args.c and the handler's parameters. */
  fn?: string;
  params?: string;
  body?: string;
  /** A whole file (after HEADER) instead of prelude/fn/params/body; TARGET is the binary. */
  file?: string;
  /** Expected out[index] (as i64) after the target ran. */
  expect?: Record<number, bigint>;
}

/** out[i] = f(i) for every tick i (the last write per index wins). */
const perTick = (f: (i: bigint) => bigint, base = 0): Record<number, bigint> =>
  Object.fromEntries(TICKS.map((i) => [base + Number(i), s64(f(i))]));

const PROBES: Probe[] = [
  {
    name: "return inside a loop inside an inlined function",
    prelude: `function find(x: i32): i64 {
  for (let k = 0; k < 10; k++) {
    if (k === x) return k * 10;
    if (k > 5) break;
  }
  return -1;
}`,
    body: `out.set(i, find(i));`,
    expect: perTick((i) => (i <= 6n ? i * 10n : -1n)),
  },
  {
    name: "an inlined call as another call's argument of the same function",
    prelude: `function add(a: i64, b: i64): i64 { return a * 10 + b; }`,
    body: `out.set(i, add(i, add(2, add(3, i))));`,
    expect: perTick((i) => i * 10n + 20n + 30n + i),
  },
  {
    name: "constant arguments of inlined functions fold into their bodies; a parameter the body assigns stays a variable",
    prelude: `function scale(x: i64, k: i64): i64 { return x * k + k; }
function pick(on: u32, a: i64, b: i64): i64 { return on ? a : b; }
function low(x: u8): i64 { return x + 1; }
function bump(n: i64, by: i64): i64 { n += by; if (n > 5) n = 5; return n; }
function either(on: bool, a: u32): i64 { return on ? a : -1; }`,
    body: `out.set(i, scale(i, 4) * 1000000 + pick(1, i, 7) * 10000 + pick(0, i, 7) * 1000 + low(300) * 10 + bump(i, 2));
  out.set(20 + i, either(false, i) * 100 + either(true, i) + bump(2, 1) * 1000);`,
    expect: {
      ...perTick((i) => (i * 4n + 4n) * 1000000n + i * 10000n + 7000n + 450n + (i + 2n > 5n ? 5n : i + 2n)),
      ...perTick((i) => -100n + i + 3000n, 20),
    },
  },
  {
    name: "helper functions calling helper functions, continue and counting down",
    prelude: `function sq(x: i64): i64 { return x * x; }
function sumsq(a: i64, b: i64): i64 { return sq(a) + sq(b); }
function firstOver(limit: i64): i64 {
  for (let k = 0; k < 100; k += 3) {
    if (sq(k) > limit) return k;
  }
  return -1;
}
function countDown(n: i64): i64 {
  let c = 0;
  for (let k = 20; k > 0; k -= 2) {
    if (k > n) continue;
    c++;
  }
  return c;
}`,
    body: `out.set(i, sumsq(i, i + 1) * 1000 + firstOver(i * 10) * 10 + countDown(i));`,
    expect: perTick((i) => {
      let first = -1n;
      for (let k = 0n; k < 100n; k += 3n) if (k * k > i * 10n) { first = k; break; }
      let c = 0n;
      for (let k = 20n; k > 0n; k -= 2n) if (k <= i) c++;
      return (i * i + (i + 1n) * (i + 1n)) * 1000n + first * 10n + c;
    }),
  },
  {
    name: "do/while with break inside an inlined function",
    prelude: `function partial(n: i64): i64 {
  let s = 0;
  let k = 0;
  do {
    if (k === n) break;
    s += k;
    k++;
  } while (k < 8);
  return s;
}`,
    body: `out.set(i, partial(i));`,
    expect: perTick((i) => {
      let s = 0n;
      for (let k = 0n; k < 8n && k !== i; k++) s += k;
      return s;
    }),
  },
  {
    name: "nested ifs and loops with break and continue",
    body: `let s: i64 = 0;
  for (let a = 0; a < 4; a++) {
    if (a === 1) continue;
    for (let b = 0; b < 4; b++) {
      if (b > a) break;
      if (i % 2 === 0) { if (b === 0) continue; s += 100; } else { s += b; }
    }
  }
  out.set(i, s);`,
    expect: perTick((i) => {
      let s = 0n;
      for (let a = 0n; a < 4n; a++) {
        if (a === 1n) continue;
        for (let b = 0n; b <= a; b++) {
          if (i % 2n === 0n) { if (b !== 0n) s += 100n; } else s += b;
        }
      }
      return s;
    }),
  },
  {
    name: "loops stepping by 2 and counting down on unsigned counters",
    body: `let up: u64 = 0;
  for (let k: u32 = 0; k < 20; k += 2) up += k;
  let down: u64 = 0;
  for (let k: u32 = 10; k > 0; k -= 2) down += k;
  let byte: u64 = 0;
  for (let k: u8 = 0; k < 255; k++) byte++;
  let d: u8 = 5;
  do { down += d; d--; } while (d > 0);
  out.set(0, up); out.set(1, down); out.set(2, byte);`,
    expect: { 0: 90n, 1: 30n + 15n, 2: 255n },
  },
  {
    name: "?? chains over map values, evaluated once",
    prelude: `const m = new HashMap<u32, u64>(16);
const small = new HashMap<u32, u32>(16);`,
    body: `m.set(2, 7);
  out.set(0, m.get(1) ?? m.get(2) ?? 99);
  out.set(1, m.get(1) ?? m.get(5) ?? 99);
  let k: u32 = 0;
  const first = m.get(k++) ?? 5;
  out.set(2, k);
  out.set(3, first);
  const n = small.get(1) ?? -1;
  out.set(4, n < 0 ? 1 : 0);
  out.set(5, (small.get(9) ?? 0x100000001) >> 1);`,
    expect: { 0: 7n, 1: 99n, 2: 1n, 3: 5n, 4: 1n, 5: 0x80000000n },
  },
  {
    name: "ternaries of map values and of mixed types",
    prelude: `interface S { a: u64; b: u8 }
const ms = new HashMap<u32, S>(16);
const m = new HashMap<u32, u64>(16);`,
    body: `ms.set(1, { a: 9, b: 3 });
  const sv = ms.get(1);
  out.set(0, sv ? sv.a + sv.b : 0);
  out.set(1, sv === undefined ? 0 : sv.b);
  const none = ms.get(2);
  out.set(2, none !== undefined ? none.a : -7);
  m.set(3, 0);
  const z = m.get(3);
  out.set(3, z ? 1 : 2);
  const x: u32 = 5;
  let q: u32 = i > 100 ? x : -1;
  out.set(4, q > 5 ? 1 : 0);
  const t = i > 100 ? x : -1;
  out.set(5, t);`,
    expect: { 0: 12n, 1: 3n, 2: -7n, 3: 2n, 4: 1n, 5: -1n },
  },
  {
    name: "compound assignments on nested struct, FixedArray and bool fields of map values",
    prelude: `interface In { a: u8; b: u16 }
interface S { n: u32; inner: In; arr: FixedArray<u16, 4>; flag: bool; big: i64 }
const ms = new ArrayMap<S>(4);`,
    body: `const v = ms.get(0);
  if (v === undefined) return;
  v.n += 2;
  v.inner.a += 30;
  v.inner.b *= 2;
  v.inner.b += 1;
  v.arr[1] += i;
  v.arr[3] = v.arr[1] << 1;
  v.flag = !v.flag;
  v.big -= i;
  v.big <<= 1;
  out.set(0, v.n); out.set(1, v.inner.a); out.set(2, v.inner.b); out.set(3, v.arr[1]);
  out.set(4, v.arr[3]); out.set(5, v.flag ? 1 : 0); out.set(6, v.big);`,
    expect: (() => {
      let n = 0n, a = 0n, b = 0n, arr1 = 0n, flag = 0n, big = 0n;
      for (const i of TICKS) {
        n += 2n; a = (a + 30n) & 0xffn; b = (b * 2n + 1n) & 0xffffn; arr1 = (arr1 + i) & 0xffffn;
        flag = flag ? 0n : 1n; big = s64((big - i) << 1n);
      }
      return { 0: n, 1: a, 2: b, 3: arr1, 4: (arr1 << 1n) & 0xffffn, 5: flag, 6: big };
    })(),
  },
  {
    name: "struct locals: literals with array fields, copies, and map set",
    prelude: `interface S { n: u32; arr: FixedArray<u16, 4>; ok: bool }
const ms = new HashMap<u32, S>(16);`,
    body: `const s: S = { n: 5, arr: [9, 8, 7, 6], ok: true };
  const c = s;
  c.n = 6;
  let d = s;
  d = c;
  d.arr[0] += 1;
  out.set(0, s.n); out.set(1, c.n); out.set(2, d.arr[0]); out.set(3, s.arr[0]);
  out.set(4, d.ok && !c.ok ? 1 : 0);
  ms.set(i, d);
  const back = ms.get(i);
  if (back) out.set(5, back.arr[0] + back.arr[3] + back.n);`,
    expect: { 0: 5n, 1: 6n, 2: 10n, 3: 9n, 4: 0n, 5: 22n },
  },
  {
    name: "a struct local passed to an inlined function and updated there",
    prelude: `interface S { a: u64; b: u32 }
function bump(s: S, by: u64): void { s.a += by; s.b = s.b + 1; }
function pick(s: S): u64 { return s.a * 100 + s.b; }`,
    body: `const s: S = { a: 1, b: 0 };
  bump(s, 5);
  bump(s, i);
  out.set(i, pick(s));`,
    expect: perTick((i) => (6n + i) * 100n + 2n),
  },
  {
    name: "mixed-width comparisons, casts and shifts on fetched arguments",
    fn: "args8",
    params: "a: i8, b: i16, c: i32, d: i64, e: u8, f: u16, g: u32, h: u64",
    body: `out.set(0, e > a ? 1 : 0);
  out.set(1, h > -1 ? 1 : 0);
  out.set(2, g > d ? 1 : 0);
  out.set(3, a < b ? 1 : 0);
  out.set(4, a as u8);
  out.set(5, g as i32);
  out.set(6, h as u16);
  out.set(7, h as i8);
  out.set(8, d as u32);
  out.set(9, h >> 60);
  out.set(10, d >> 1);
  out.set(11, d >>> 60);
  let n: u32 = 4;
  out.set(12, h >> n);
  out.set(13, 1 << (n + 60));
  out.set(14, c / 2);
  out.set(15, c % 2);
  out.set(16, h / (e as u64));
  out.set(17, (e + f) as u8);
  out.set(18, -e);
  out.set(19, ~e);
  out.set(20, (c >= 0 && c < 10) ? 1 : 0);
  const five: u8 = 5;
  out.set(21, -five < 0 ? 1 : 0);
  out.set(22, ~five);`,
    expect: {
      0: A8.e > A8.a ? 1n : 0n, 1: 0n, 2: 1n, 3: 0n,
      4: u64(A8.a) & 0xffn, 5: BigInt.asIntN(32, A8.g), 6: A8.h & 0xffffn, 7: BigInt.asIntN(8, A8.h),
      8: BigInt.asUintN(32, A8.d), 9: A8.h >> 60n, 10: A8.d >> 1n, 11: u64(A8.d) >> 60n,
      12: s64(A8.h >> 4n), 13: 1n, 14: A8.c / 2n, 15: A8.c % 2n, 16: s64(A8.h / A8.e),
      17: (A8.e + A8.f) & 0xffn, 18: -A8.e, 19: ~A8.e, 20: 0n, 21: 1n, 22: -6n,
    },
  },
  {
    name: "assignments as values: chains, fields narrowed to their type, ++ on fields",
    prelude: `interface S { a: u64; b: u8; c: i8 }
const ms = new ArrayMap<S>(4);`,
    body: `const s: S = { a: 1, b: 200, c: 100 };
  out.set(0, s.b += 100);
  out.set(1, ++s.c + (s.c = 200));
  let x: i64 = 0, y: i64 = 0;
  x = y = i * 2;
  const z = (x = 5);
  out.set(2, x + y + z);
  let w: u8 = 200;
  const e = (w += 100);
  const f = w++;
  out.set(3, e + f + w);
  const v = ms.get(0);
  if (v) { v.a++; out.set(4, (v.b = 511) + (v.c -= 129)); if (v.a++ > 3) out.set(5, v.a); }`,
    expect: (() => {
      let c = 0n, a = 0n;
      for (let k = 0; k < TICKS.length; k++) { c = BigInt.asIntN(8, c - 129n); a += 2n; }
      return { 0: 44n, 1: 101n - 56n, 2: 5n + LAST * 2n + 5n, 3: 44n + 44n + 45n, 4: 255n + c, 5: a };
    })(),
  },
  {
    name: "compound assignment to a parameter held in the fetched-arguments struct",
    fn: "args8",
    params: "a: i8, b: i16, c: i32, d: i64, e: u8, f: u16, g: u32, h: u64",
    body: `a += 1; e += 100; h -= 1;
  let y: u8 = 250;
  y += 10;
  out.set(0, a); out.set(1, e); out.set(2, h); out.set(3, y); out.set(4, b + c + d + f + g);`,
    expect: { 0: A8.a + 1n, 1: (A8.e + 100n) & 0xffn, 2: s64(A8.h - 1n), 3: 4n, 4: A8.b + A8.c + A8.d + A8.f + A8.g },
  },
  {
    name: "printk with 0 to 3 values",
    body: `printk("tick");
  printk("tick %d", i);
  printk("tick %d %d", i, i * 2);
  printk("tick %d %d %u", i, i * 2, pid());`,
  },
  {
    name: "22 live values across helper calls (spills)",
    body: `const v0 = i + 0, v1 = i + 1, v2 = i * 2, v3 = i * 3, v4 = i * 4, v5 = i * 5, v6 = i * 6, v7 = i * 7;
  const t0 = pid();
  const v8 = i * 8, v9 = i * 9, v10 = i * 10, v11 = i * 11, v12 = i * 12, v13 = i * 13;
  const t1 = tid();
  const v14 = i * 14, v15 = i * 15, v16 = i * 16, v17 = i * 17, v18 = i * 18, v19 = i * 19, v20 = i * 20, v21 = i * 21;
  const t2 = uid() + gid();
  const t3 = cpu();
  const s = v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9 + v10 + v11 + v12 + v13 + v14 + v15 + v16 + v17 + v18 + v19 + v20 + v21;
  out.set(i, s * 1000 + (t0 === t1 ? 1 : 0) + (t2 >= 0 ? 2 : 0) + (t3 < 4096 ? 4 : 0));
  out.set(10 + i, v21 - v20 + v0 * v1 - v19 + ktimeNs() * 0);`,
    expect: { ...perTick((i) => (i * 232n + 1n) * 1000n + 7n), ...perTick((i) => i + i * (i + 1n) - 19n * i, 10) },
  },
  {
    name: "deeply nested expressions",
    body: `out.set(i, ((((i + 1) * 2 - 3) * ((i - 1) ^ 5)) >> 1) + (((i | 3) & 0xff) % 7) - ((((((i))))) << 2) + (i > 3 ? (i < 7 ? (i === 5 ? 1 : 2) : 3) : 4));`,
    expect: perTick((i) => (((((i + 1n) * 2n - 3n) * ((i - 1n) ^ 5n)) >> 1n) + (((i | 3n) & 0xffn) % 7n) - (i << 2n) + (i > 3n ? (i < 7n ? (i === 5n ? 1n : 2n) : 3n) : 4n))),
  },
  {
    name: "shadowed names in nested blocks",
    prelude: `const seen = new HashMap<u32, i64>(8);`,
    body: `let x: i64 = 1;
  {
    const i = 100;
    seen.set(0, i);
    { let x: i64 = 2; x += 5; seen.set(1, x); }
  }
  if (i > 2) { const x = 40; seen.set(2, x); }
  out.set(0, x); out.set(1, seen.get(0) ?? 0); out.set(2, seen.get(1) ?? 0); out.set(3, seen.get(2) ?? 0); out.set(4, i);`,
    expect: { 0: 1n, 1: 100n, 2: 7n, 3: 40n, 4: LAST },
  },
  {
    name: "comm() into a local, readStr through an integer cast to Ptr",
    prelude: `interface R { name: Chars<16>; n: u32 }
const names = new HashMap<u32, R>(4);`,
    body: `const c: Chars<16> = comm();
  names.set(1, { name: c, n: 3 });
  const addr = (i as u64) as Ptr<u8>;
  const r: R = { name: readStr(addr), n: 7 };
  names.set(2, r);
  const back = names.get(2);
  out.set(0, back ? back.n : 0);`,
    expect: { 0: 7n },
  },
  {
    name: "an expression-bodied handler returning a value",
    file: `const LIMIT = 4 * 2;
const ticks = new PerCpuHashMap<u32, u64>(LIMIT);
function twice(x: i64): i64 { return x * 2; }
export const p = uprobe(TARGET, "tick", (i: i32) => twice(i));
export const q = uprobe(TARGET, "tick", (i: i32) => ticks.add(0, 1));`,
  },
  {
    name: "several programs sharing maps, an unused map, a const map size, LICENSE",
    file: `const SIZE = 1 << 4;
const shared = new HashMap<u32, i64>(SIZE);
const unused = new LruHashMap<u64, u64>(SIZE * 2 + 1);
export const LICENSE = "Dual BSD/GPL";
export const onTick = uprobe(TARGET, "tick", (i: i32) => {
  shared.add(1, i);
  out.set(0, shared.get(1) ?? 0);
});
export const onArgs1 = uprobe(TARGET, "args1", (a: i32) => {
  shared.add(1, a);
  shared.set(2, a);
});
export const onArgs2 = uprobe(TARGET, "args2", (a: i8, b: i16) => {
  out.set(1, a * b);
});`,
    expect: { 0: ARGS_CALLS.args1[0].value + TICKS.reduce((x, y) => x + y, 0n), 1: ARGS_CALLS.args2[0].value * ARGS_CALLS.args2[1].value },
  },
  {
    name: "bool locals and ! on them",
    body: `let f: bool = i > 4;
  const g: bool = !f;
  f = !f && g;
  out.set(i, (f ? 1 : 0) + (g ? 10 : 0) + (!(i === 3) ? 100 : 0));`,
    expect: perTick((i) => (i > 4n ? 0n : 11n) + (i === 3n ? 0n : 100n)),
  },
  {
    name: "maps of every kind used from one handler, delete then get again",
    prelude: `interface K { kind: u8; id: u32 }
const byKey = new HashMap<K, u64>(16);
const lru = new LruHashMap<u32, u64>(16);
interface V { hits: u64 }
const vals = new HashMap<u32, V>(16);`,
    body: `byKey.add({ kind: 1, id: i % 3 }, 1);
  lru.set(i, i * i);
  vals.set(i, { hits: 1 });
  let v = vals.get(i);
  vals.delete(i);
  v = vals.get(i);
  out.set(i, v === undefined ? 1 : 0);
  const k: K = { kind: 1, id: 0 };
  out.set(10, byKey.get(k) ?? 0);`,
    expect: { ...perTick(() => 1n), 10: BigInt(TICKS.filter((i) => i % 3n === 0n).length) },
  },
];

function probeSource(target: string, p: Probe): string {
  const body = p.file ?? `${p.prelude ?? ""}
export const probe = uprobe(TARGET, ${JSON.stringify(p.fn ?? "tick")}, (${p.params ?? "i: i32"}) => {
  ${p.body}
});
`;
  return `${HEADER}${body.replaceAll("TARGET", JSON.stringify(target))}`;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 60);

describe("in-subset programs compile, pass the verifier and compute what README says", () => {
  const target = buildTargetFile("args");
  for (const p of PROBES) {
    it(p.name, () => {
      const { object } = compileProbe(`robust-${slug(p.name)}`, probeSource(target, p));
      const r: LoaderResult = runLoader(object, { attach: true, command: [target] });
      expect(r.command?.exit_code).toBe(0);
      if (!p.expect) return;
      const map = getMap(r, "out");
      const got = Object.fromEntries(Object.keys(p.expect).map((k) => [k, decodeSigned(lookup(map, Number(k))!)]));
      expect(got).toEqual(Object.fromEntries(Object.entries(p.expect).map(([k, v]) => [k, s64(v)])));
    });
  }
});

// ---- outside the subset -----------------------------------------------------------------

const BAD_HEADER = `import { uprobe, HashMap, ArrayMap, type i32, type u32, type u64, type u8, type FixedArray } from "bpftsc";
const m = new HashMap<u32, u64>(16);
interface S { a: u64 }
const ms = new HashMap<u32, S>(16);
`;

/** [name, source after BAD_HEADER (the handler's `H(body)`), expected code if specific]. */
/** A target without DWARF: the handlers' parameters bind by position. */
const BIN = buildTarget("robust-nodwarf", "int main(void) { return 0; }\n", ["-O0"]);
const H = (body: string, params = "i: i32") => `export const p = uprobe(${JSON.stringify(BIN)}, "main", (${params}) => {\n  ${body}\n});\n`;
const BAD: [string, string, number?][] = [
  ["a map value used after delete()", H(`const v = ms.get(1);\n  if (v) { ms.delete(1); v.a += 1; }`), 4009],
  ["a scalar map value read after delete()", H(`const v = m.get(1);\n  m.delete(1);\n  m.set(2, v ?? 0);`), 4009],
  ["a handler with a rest parameter", H(`m.set(1, 1);`, "...xs: i32[]"), 6002],
  ["a struct with a function-typed field", `interface F { f: () => void }\nconst mf = new HashMap<u32, F>(4);\n${H("m.set(1, 1);")}`, 3001],
  ["typeof", H(`if (typeof i === "number") m.set(1, 1);`), 4001],
  ["the in operator", H(`const s: S = { a: 1 };\n  if ("a" in s) m.set(1, 1);`), 4001],
  ["a template literal", H("const x = `a${i}`;"), 4001],
  ["a getter", `const o = { get x() { return 1; } };\n${H("m.set(1, 1);")}`, 2001],
  ["object spread", H(`const s: S = { a: 1 };\n  const t: S = { ...s };\n  ms.set(1, t);`), 4001],
  ["optional chaining", H(`const v = ms.get(1);\n  m.set(1, v?.a ?? 0);`), 4001],
  ["new in a handler", H(`const q = new HashMap<u32, u32>(4);`), 4001],
  ["an enum declaration", `enum E { A, B }\n${H("m.set(1, E.A);")}`, 3012],
  ["a namespace", `namespace N { export const x = 1; }\n${H("m.set(1, 1);")}`, 2001],
  ["a labelled loop", H(`outer: for (let k = 0; k < 4; k++) { if (k === i) break outer; }`), 4001],
  ["for...in", H(`const s: S = { a: 1 };\n  for (const k in s) m.set(1, 1);`), 4001],
  ["an integer literal beyond 64 bits", H(`const x: u64 = 18446744073709551616;\n  m.set(1, x);`), 3003],
  ["a top-level constant beyond 64 bits", `const HUGE = 1180591620717411303424;\n${H("m.set(1, HUGE);")}`, 3003],
  ["a string comparison", H(`const s = "x";\n  m.set(1, s === "x" ? 1 : 0);`), 4001],
  ["a closure", H(`const f = () => i;\n  m.set(1, f());`), 4001],
  ["exponentiation", H(`m.set(1, i ** 2);`), 4001],
  ["destructuring", H(`const s: S = { a: 1 };\n  const { a } = s;\n  m.set(1, a);`), 4001],
  ["a ternary choosing between map values", H(`const v = i > 0 ? m.get(1) : m.get(2);\n  if (v !== undefined) m.set(3, v);`), 4001],
  ["?? with a struct fallback", H(`const v = ms.get(1) ?? { a: 0 };\n  m.set(1, v.a);`), 4001],
  ["an expression body returning a map value", `export const p = uprobe(${JSON.stringify(BIN)}, "main", (i: i32) => m.get(1));\n`, 4001],
  ["a loop whose step is conditional", H(`let j: u32 = 0;\n  while (j < 10) { if (i > 3) j++; }`), 4002],
  ["a for loop whose body step continue can skip", H(`for (let j = 0; j < 10;) { if (j === i) continue; j++; }`), 4002],
  ["a u8 counter that wraps before its bound", H(`let s = 0;\n  for (let j: u8 = 0; j < 300; j++) s++;\n  m.set(1, s);`), 4002],
  ["an unsigned counter counting down to >= 0", H(`let s = 0;\n  for (let j: u32 = 5; j >= 0; j--) s++;\n  m.set(1, s);`), 4002],
  ["an array literal longer than the FixedArray", `interface A { v: FixedArray<u8, 2> }\nconst ma = new HashMap<u32, A>(4);\n${H("ma.set(1, { v: [1, 2, 3] as unknown as FixedArray<u8, 2> });")}`],
  ["a struct returned from a helper function", `function mk(x: u64): S { return { a: x }; }\n${H("ms.set(1, mk(2));")}`, 3001],
  // (`{ a: 1 } as S` is a literal of S; a cast of anything else to a struct is not.)
  ["a cast of a struct value to a struct", H(`const v = ms.get(1);\n  if (v) ms.set(2, v as S);`), 4001],
];

describe("programs outside the subset give a located diagnostic", () => {
  for (const [name, body, code] of BAD) {
    it(name, () => {
      const source = BAD_HEADER + body;
      let r: ReturnType<typeof compile> | undefined;
      expect(() => { r = compile({ fileName: `/tmp/robust-${slug(name)}.ts`, source }); }).not.toThrow();
      expect(r!.object).toBeUndefined();
      const first = r!.diagnostics.find((d) => d.severity === "error");
      expect(first, "an error diagnostic").toBeDefined();
      if (code !== undefined) expect(first!.code).toBe(code);
      const lines = source.split("\n");
      expect(first!.line).toBeGreaterThan(4); // inside the probe, after the shared header
      expect(first!.line).toBeLessThanOrEqual(lines.length);
      expect(first!.col).toBeGreaterThan(0);
      expect(first!.col).toBeLessThanOrEqual(lines[first!.line - 1].length);
      expect(first!.message).not.toMatch(/internal/i);
    });
  }
});

describe("input too deep or too large for the compiler is a located diagnostic, never a crash", () => {
  const header = `import { kprobe, ArrayMap, type u64 } from "bpftsc";\nconst m = new ArrayMap<u64>(4);\n`;
  const cases: [string, string][] = [
    ["a 2,000-way else-if chain", `export const p = kprobe("vfs_read", (count: u64) => {\n  ${Array.from({ length: 2000 }, (_, i) => `if (count === ${i}) m.set(0, ${i});`).join(" else ")}\n});\n`],
    ["a chain of 5,000 additions", `export const p = kprobe("vfs_read", (count: u64) => { m.set(0, count${Array.from({ length: 5000 }, (_, i) => ` + ${i}`).join("")}); });\n`],
    ["2,000 nested parentheses", `export const p = kprobe("vfs_read", (count: u64) => { m.set(0, ${"(".repeat(2000)}count${")".repeat(2000)}); });\n`],
    ["2,000 nested blocks", `export const p = kprobe("vfs_read", (count: u64) => ${"{".repeat(2000)}m.set(0, count);${"}".repeat(2000)});\n`],
  ];
  for (const [name, body] of cases) {
    it(name, () => {
      const r = compile({ fileName: `/tmp/deep-${slug(name)}.ts`, source: header + body });
      expect(r.object).toBeUndefined();
      expect(r.diagnostics.map((d) => d.code)).toEqual([4013]);
      expect(r.diagnostics[0]!.line).toBeGreaterThanOrEqual(3);
      expect(r.diagnostics[0]!.col).toBeGreaterThan(1);
    });
  }
  it("1,500 `if`s in a row: located at the function, by its length (TypeScript's checker runs out of stack on its branches)", () => {
    const body = `export const p = kprobe("vfs_read", (count: u64) => {\n${Array.from({ length: 1500 }, (_, i) => `  if (count === 1) { m.set(0, ${i}); } else { m.set(1, ${i}); }`).join("\n")}\n});\n`;
    const r = compile({ fileName: "/tmp/long-ifs.ts", source: header + body });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.col])).toEqual([[4021, 3, 37]]);
    expect(r.diagnostics[0]!.message).toMatch(/^This function has 1500 statements/);
  });
  it("a 400-way else-if chain still compiles", () => {
    const body = `export const p = kprobe("vfs_read", (count: u64) => {\n  ${Array.from({ length: 400 }, (_, i) => `if (count === ${i}) m.set(0, ${i});`).join(" else ")}\n});\n`;
    expect(compile({ fileName: "/tmp/deep-ok.ts", source: header + body }).diagnostics).toEqual([]);
  });
  it("a file over 4 MB", () => {
    const r = compile({ fileName: "/tmp/huge.ts", source: header + `// ${"x".repeat(4 * 1024 * 1024)}\nexport const p = kprobe("vfs_read", () => 0);\n` });
    expect(r.diagnostics.map((d) => d.code)).toEqual([9004]);
  });
});

describe("programs the kernel would refuse at load for a reason visible at compile time", () => {
  it("a program using more than 64 maps", () => {
    const maps = Array.from({ length: 65 }, (_, i) => `const m${i} = new ArrayMap<u64>(1);`).join("\n");
    const uses = Array.from({ length: 65 }, (_, i) => `  m${i}.set(0, 1);`).join("\n");
    const r = compile({ fileName: "/tmp/many-maps.ts", source: `import { kprobe, ArrayMap, type u64 } from "bpftsc";\n${maps}\nexport const p = kprobe("vfs_read", () => {\n${uses}\n});\n` });
    expect(r.diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([[5004, 67, "The program uses 65 maps (its data sections count one each); the kernel allows 64."]]);
  });
  it("64 maps are fine", () => {
    const maps = Array.from({ length: 64 }, (_, i) => `const m${i} = new ArrayMap<u64>(1);`).join("\n");
    const uses = Array.from({ length: 64 }, (_, i) => `  m${i}.set(0, 1);`).join("\n");
    expect(compile({ fileName: "/tmp/64-maps.ts", source: `import { kprobe, ArrayMap, type u64 } from "bpftsc";\n${maps}\nexport const p = kprobe("vfs_read", () => {\n${uses}\n});\n` }).diagnostics).toEqual([]);
  });
});

describe("a target binary with corrupt DWARF", () => {
  const target = buildTargetFile("args");
  const bytes = fs.readFileSync(target);
  const info = new ElfFile(bytes).sections.find((s) => s.name === ".debug_info")!;
  // A small deterministic generator, so that a failure names its seed.
  const corrupt = (seed: number): Uint8Array => {
    const copy = new Uint8Array(bytes);
    let x = seed * 2654435761 >>> 0;
    const next = () => (x = (x * 1103515245 + 12345) >>> 0);
    for (let k = 0; k < 12; k++) copy[info.offset + (next() % info.size)] = next() & 0xff;
    return copy;
  };
  it("gives a diagnostic or compiles, never an internal error, for 40 corruptions", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-corrupt-"));
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const bin = path.join(dir, `args-${seed}`);
      fs.writeFileSync(bin, corrupt(seed));
      const source = `import { uprobe, ArrayMap, type i64 } from "bpftsc";
const out = new ArrayMap<i64>(4);
export const p = uprobe(${JSON.stringify(bin)}, "args4", (d: i64, a: i64) => { out.set(0, a + d); });
export const q = uprobe(${JSON.stringify(bin)}, "args.c:14", (a: i64) => { out.set(1, a); });
`;
      const r = compile({ fileName: path.join(dir, `p${seed}.ts`), source });
      for (const d of r.diagnostics) {
        expect(d.code, `seed ${seed}: ${d.message}`).not.toBe(9999);
        if (d.severity === "error") expect(d.line, `seed ${seed}`).toBeGreaterThan(0);
      }
      outcomes.add(r.object ? "compiled" : "refused");
    }
    expect(outcomes.has("refused")).toBe(true);
  });
});
