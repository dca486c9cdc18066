// Records bigger than the 512-byte BPF stack, at run time, on each tick(i) of
// targets/args.c. Reserved in the ring (reserve, submit, discard): filled in place field
// by field (a loop over its array included), in the handler or a subprogram, and
// submitted or discarded; user space sees exactly the submitted ones, every byte as
// written. Or built in a per-CPU scratch value and sent with output().

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeCString, decodeSigned, getMap, runLoader } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { runOk } from "../object/tools.js";
import { compileProbe } from "./compile-helper.js";

const VALUES = 80;

describe("RingBuf reserve/submit/discard", () => {
  it("a 664-byte record, bigger than the stack, reserved, filled in place, submitted for even ticks and discarded for odd ones", () => {
    const target = buildTargetFile("args");
    const { object, listing } = compileProbe("ring-reserve", `import { uprobe, RingBuf, comm, type i32, type u64, type Chars, type FixedArray } from "bpftsc";
interface Big { i: i32; name: Chars<16>; values: FixedArray<u64, ${VALUES}>; last: u64 }
export const events = new RingBuf<Big>(1 << 16);
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  const e = events.reserve();
  if (!e) return;
  e.i = i;
  e.name = comm();
  for (let k = 0; k < ${VALUES}; k++) e.values[k] = i * 1000 + k;
  e.last = 0xfeed;
  if (i % 2 === 1) {
    events.discard(e);
    return;
  }
  events.submit(e);
});
export const LICENSE = "GPL";
`);
    // No copy through the stack: the record is written where it lies in the ring.
    expect(listing).not.toMatch(/r10 - /);
    expect(listing).toContain("call 131");
    const r = runLoader(object, { attach: true, command: [target] });
    const records = getMap(r, "events").records!;
    const size = 4 + 16 + 4 + VALUES * 8 + 8;
    expect(records.every((h) => h.length === size * 2)).toBe(true);
    const got = records.map((h) => ({
      i: decodeSigned(h, 0, 4),
      name: decodeCString(h, 4, 16),
      values: Array.from({ length: VALUES }, (_, k) => decodeSigned(h, 24 + 8 * k, 8)),
      last: decodeSigned(h, 24 + 8 * VALUES, 8),
    })).sort((a, b) => Number(a.i - b.i));
    const even = ARGS_TICKS.filter((i) => i % 2n === 0n);
    expect(got.map((g) => g.i)).toEqual(even);
    for (const g of got) {
      expect(g.name).toBe("args");
      expect(g.values).toEqual(Array.from({ length: VALUES }, (_, k) => g.i * 1000n + BigInt(k)));
      expect(g.last).toBe(0xfeedn);
    }
    expect(runOk("bpftool", ["btf", "dump", "file", object, "format", "c"]).stdout).toContain("typedef struct Big events__record;");
  });

  it("reserved in a subprogram and in the handler, filled by a subprogram the record is passed to", () => {
    const target = buildTargetFile("args");
    const { object, listing } = compileProbe("ring-reserve-sub", `import { uprobe, RingBuf, type i32, type u64, type FixedArray } from "bpftsc";
interface Rec { i: i32; values: FixedArray<u64, 8> }
export const events = new RingBuf<Rec>(1 << 16);
/** @noinline */
function fill(e: Rec, i: i32): void {
  e.i = i;
  for (let k = 0; k < 8; k++) e.values[k] = i + k;
}
/** @noinline */
function send(i: i32): void {
  const e = events.reserve();
  if (!e) return;
  fill(e, i);
  events.submit(e);
}
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  send(i);
  const e = events.reserve();
  if (e) { fill(e, i + 100); events.submit(e); }
});
export const LICENSE = "GPL";
`);
    expect(listing).toMatch(/<fill>:/);
    expect(listing).toMatch(/<send>:/);
    const r = runLoader(object, { attach: true, command: [target] });
    const got = getMap(r, "events").records!.map((h) => ({ i: decodeSigned(h, 0, 4), v7: decodeSigned(h, 8 + 7 * 8, 8) }));
    const want = ARGS_TICKS.flatMap((i) => [i, i + 100n]).map((i) => ({ i, v7: i + 7n }));
    expect(got.sort((a, b) => Number(a.i - b.i))).toEqual(want.sort((a, b) => Number(a.i - b.i)));
  });

  it("a per-CPU scratch value (PerCpuArrayMap<T>(1)) holds a local too big for the stack, and output() sends it from there", () => {
    const target = buildTargetFile("args");
    const { object, listing } = compileProbe("ring-scratch", `import { uprobe, RingBuf, PerCpuArrayMap, type i32, type u64, type FixedArray } from "bpftsc";
interface Big { i: i32; values: FixedArray<u64, 100> }
const scratch = new PerCpuArrayMap<Big>(1);
export const events = new RingBuf<Big>(1 << 16);
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  const big = scratch.get(0);
  if (!big) return;
  big.i = i;
  for (let k = 0; k < 100; k++) big.values[k] = i * k;
  events.output(big);
});
export const LICENSE = "GPL";
`);
    expect(listing).toContain("r3 = 808");
    const r = runLoader(object, { attach: true, command: [target] });
    const got = getMap(r, "events").records!.map((h) => [decodeSigned(h, 0, 4), decodeSigned(h, 8 + 99 * 8, 8)]);
    expect(got.sort((a, b) => Number(a[0]! - b[0]!))).toEqual(ARGS_TICKS.map((i) => [i, i * 99n]));
  });
});
