// Every map kind and method at run time, driven by the ten tick(i) calls of targets/args.c:
// per-CPU and LRU hashes, arrays of structs updated in place, delete, `??`, atomic add,
// struct keys with padding, inlined helper functions and bounded while/do loops.

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeStruct, decodeUnsigned, getMap, intEntries, lookup, runLoader, sumPerCpu, lookupPerCpu, encodeInt } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

function source(target: string): string {
  return `import { uprobe, HashMap, LruHashMap, PerCpuHashMap, ArrayMap, PerCpuArrayMap, type i32, type u8, type u16, type u32, type u64 } from "bpftsc";

interface Key {
  kind: u8;      // 1 byte, then 3 bytes of padding the compiler must zero
  index: u32;
  tag: u16;      // then 2 bytes of tail padding
}

interface Slot {
  count: u64;
  sum: u64;
}

const perCpu = new PerCpuHashMap<u32, u64>(16);
const lru = new LruHashMap<u32, u64>(16);
const slots = new ArrayMap<Slot>(4);
const perCpuArray = new PerCpuArrayMap<u64>(2);
const structKeys = new HashMap<Key, u64>(64);
const scratch = new HashMap<u32, u64>(16);
const results = new HashMap<u32, u64>(16);

function square(x: u64): u64 {
  return x * x;
}

function sumTo(n: u32): u64 {
  let total: u64 = 0;
  let k: u32 = 0;
  while (k < 16) {
    if (k > n) break;
    total += k;
    k++;
  }
  return total;
}

export const onTick = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  perCpu.add(7, 1);
  lru.set(i, square(i));
  const s = slots.get(i % 4);
  if (s !== undefined) {
    s.count += 1;
    s.sum += i;
  }
  perCpuArray.add(1, i);
  structKeys.add({ kind: 1, index: i % 3, tag: 0xbeef }, 1);

  // delete: the key set here is gone again below; ?? sees it missing.
  scratch.set(i, 5);
  scratch.delete(i);
  const gone = scratch.get(i) ?? 1000;
  results.add(0, gone);

  results.set(1 + (i % 2), sumTo(i));
  let d: u32 = 3;
  do {
    results.add(3, 1);
    d--;
  } while (d > 0);
});
`;
}

describe("maps at run time", () => {
  const target = buildTargetFile("args");
  const { object } = compileProbe("maps", source(target));
  const result = runLoader(object, { attach: true, command: [target] });
  const n = BigInt(ARGS_TICKS.length);

  it("the target ran", () => expect(result.command?.exit_code).toBe(0));

  it("PerCpuHashMap.add counts on each CPU; the CPUs' values sum to the calls", () => {
    const values = lookupPerCpu(getMap(result, "perCpu"), 7)!;
    expect(values.length).toBe(result.possible_cpus);
    expect(sumPerCpu(values)).toBe(n);
  });

  it("LruHashMap holds what set() stored (an inlined function's result)", () => {
    const got = intEntries(getMap(result, "lru"), "u64", "u32");
    expect(got).toEqual(new Map(ARGS_TICKS.map((i) => [i, i * i])));
  });

  it("ArrayMap struct values are updated in place through get()", () => {
    const map = getMap(result, "slots");
    for (let k = 0n; k < 4n; k++) {
      const mine = ARGS_TICKS.filter((i) => i % 4n === k);
      const v = decodeStruct(lookup(map, k)!, { count: { offset: 0, type: "u64" }, sum: { offset: 8, type: "u64" } });
      expect(v).toEqual({ count: BigInt(mine.length), sum: mine.reduce((a, b) => a + b, 0n) });
    }
  });

  it("PerCpuArrayMap.add sums per CPU", () => {
    expect(sumPerCpu(lookupPerCpu(getMap(result, "perCpuArray"), 1)!)).toBe(ARGS_TICKS.reduce((a, b) => a + b, 0n));
  });

  it("struct keys with padding hash equally: exactly 3 keys, padding zeroed", () => {
    const map = getMap(result, "structKeys");
    expect(map.key_size).toBe(12);
    const keys = map.entries!.map((e) => e.key).sort();
    const want = [0n, 1n, 2n].map((ix) => `01000000${encodeInt(ix, 4)}efbe0000`).sort();
    expect(keys).toEqual(want);
    const counts = map.entries!.map((e) => decodeUnsigned(e.value!)).sort();
    expect(counts).toEqual([3n, 3n, 4n]);
  });

  it("delete removes the key; ?? gives the fallback; loops and break run as written", () => {
    const r = intEntries(getMap(result, "results"), "u64", "u32");
    expect(r.get(0n)).toBe(1000n * n);
    expect(getMap(result, "scratch").entries).toEqual([]);
    const tri = (k: bigint) => (k * (k + 1n)) / 2n;
    expect(r.get(1n)).toBe(tri(8n)); // last even tick: 8
    expect(r.get(2n)).toBe(tri(9n)); // last odd tick: 9
    expect(r.get(3n)).toBe(3n * n);
  });
});
