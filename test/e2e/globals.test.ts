// Global data and subprograms at run time, through uprobes on a small C target:
// load-time settings in .rodata (defaults, and changed before load: a filter that changes
// behaviour), globals in .data and .bss counted by two programs and read back by name, a
// global array indexed at run time, subprograms called from two programs with scalar and
// pointer (struct by reference) arguments; and the object's shape as clang writes it:
// DATASEC/VAR BTF (a printk format a static VAR), symbols, relocations, a bpftool skeleton that a C program compiles
// against and uses to set a setting and read a global.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildTarget, decodeSigned, decodeStruct, decodeUnsigned, encodeInt, getGlobal, getMap, lookup, runLoader } from "../harness/harness.js";
import { runOk } from "../object/tools.js";
import { compileProbe, OUT_DIR } from "./compile-helper.js";

const TARGET_C = `
#define PROBED __attribute__((noinline, noipa, used))
volatile long sink;
PROBED void hit(int which, int v) { sink += which + v; }
PROBED void other(long x) { sink += x; }
int main(void) {
  for (int i = 0; i < 9; i++) hit(i % 3, i);   /* which = 0 1 2 0 1 2 ..., v = 0..8 */
  for (long x = -5; x < 20; x += 7) other(x);  /* x = -5 2 9 16 */
  return 0;
}
`;

function source(target: string): string {
  return `import { uprobe, printk, ArrayMap, RingBuf, type u32, type u64, type i32, type i64, type bool, type FixedArray } from "bpftsc";

const BIN = ${JSON.stringify(target)};
interface Limits { min: i32; max: i32 }
interface Event { v: i32; clamped: i64 }

export const wanted: i32 = 1;                       // which hit() calls count
export const limits: Limits = { min: 2, max: 8 };
export const enabled: bool = true;
let hits: u64 = 0;                                  // .bss
let seen: u64 = 100;                                // .data
let perValue!: FixedArray<u64, 4>;                  // .bss, indexed at run time
let last: Limits = { min: 0, max: 0 };
const out = new ArrayMap<i64>(4);
const events = new RingBuf<Event>(4096);

/** @noinline */
function clamp(x: i64, lo: i64, hi: i64): i64 {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/** @noinline */
function bump(s: Limits, by: i32): void {
  s.min += by;
  s.max += by * 2;
}

export const onHit = uprobe(BIN, "hit", (which: i32, v: i32) => {
  if (!enabled) return;
  hits += 1;
  if (which !== wanted) return;
  if (v > 1000) printk("hit: v %d", v);             // never: a static format in .rodata
  seen += v;
  perValue[v % 4] += 1;
  const c = clamp(v, limits.min, limits.max);
  out.set(0, c);
  events.output({ v, clamped: c });
});

export const onOther = uprobe(BIN, "other", (x: i64) => {
  hits += 1;
  out.set(1, clamp(x, 0, 10));
  bump(last, 1);
});
`;
}

const LIMITS = { min: { offset: 0, type: "i32" }, max: { offset: 4, type: "i32" } } as const;

describe("settings, globals and subprograms", () => {
  const target = buildTarget("globals", TARGET_C);
  const { object } = compileProbe("globals", source(target));
  const run = (set?: Record<string, string>) => runLoader(object, { attach: true, command: [target], set });
  const g = (r: ReturnType<typeof run>, name: string) => getGlobal(r, name).value;

  describe("with the settings' defaults", () => {
    const r = run();
    it("counts every call in a .bss global shared by both programs", () => {
      expect(r.command?.exit_code).toBe(0);
      expect(getGlobal(r, "hits").section).toBe(".bss");
      expect(decodeUnsigned(g(r, "hits"))).toBe(9n + 4n);
    });
    it("adds to a .data global from its initial value, for the wanted calls only (which === 1: v = 1, 4, 7)", () => {
      expect(getGlobal(r, "seen").section).toBe(".data");
      expect(decodeUnsigned(g(r, "seen"))).toBe(100n + 1n + 4n + 7n);
    });
    it("indexes a global array at run time", () => {
      const hex = g(r, "perValue");
      expect([0, 1, 2, 3].map((i) => decodeUnsigned(hex, i * 8, 8))).toEqual([1n, 1n, 0n, 1n]);
    });
    it("calls a subprogram with scalars from both programs, and one with a struct by reference", () => {
      expect(decodeSigned(lookup(getMap(r, "out"), 0)!)).toBe(7n); // clamp(7, 2, 8)
      expect(decodeSigned(lookup(getMap(r, "out"), 1)!)).toBe(10n); // clamp(16, 0, 10)
      expect(decodeStruct(g(r, "last"), LIMITS)).toEqual({ min: 4n, max: 8n }); // four bump(last, 1)
    });
    it("keeps the settings' values in .rodata", () => {
      expect(getGlobal(r, "wanted")).toMatchObject({ section: ".rodata", value: encodeInt(1, 4) });
      expect(decodeStruct(g(r, "limits"), LIMITS)).toEqual({ min: 2n, max: 8n });
    });
    it("streams ring-buffer records built from a subprogram's result", () => {
      const recs = getMap(r, "events").records!;
      expect(recs.map((h) => [decodeSigned(h, 0, 4), decodeSigned(h, 8, 8)])).toEqual([[1n, 2n], [4n, 4n], [7n, 7n]]);
    });
  });

  describe("with settings changed before load", () => {
    const r = run({ wanted: encodeInt(2, 4), limits: encodeInt(0, 4) + encodeInt(5, 4) });
    it("filters on the new value (which === 2: v = 2, 5, 8)", () => {
      expect(decodeUnsigned(g(r, "seen"))).toBe(100n + 2n + 5n + 8n);
      expect(decodeSigned(lookup(getMap(r, "out"), 0)!)).toBe(5n); // clamp(8, 0, 5)
    });
    it("turns the program off through a bool setting", () => {
      const off = run({ enabled: "00" });
      expect(decodeUnsigned(g(off, "hits"))).toBe(4n); // only onOther counted
      expect(decodeUnsigned(g(off, "seen"))).toBe(100n);
    });
  });

  describe("the object, as tools see it", () => {
    it("describes every global in its section's DATASEC, settings as const volatile", () => {
      const dump = runOk("bpftool", ["btf", "dump", "file", object]).stdout;
      expect(dump).toMatch(/DATASEC '\.rodata' size=23 vlen=4\n\ttype_id=\d+ offset=0 size=4 \(VAR 'wanted'\)\n\ttype_id=\d+ offset=4 size=8 \(VAR 'limits'\)\n\ttype_id=\d+ offset=12 size=1 \(VAR 'enabled'\)\n\ttype_id=\d+ offset=13 size=10 \(VAR '____fmt'\)/);
      // printk's format: a static const char[10], as bpf_printk's `static const char ____fmt[]`.
      const fmt = /\[\d+\] VAR '____fmt' type_id=(\d+), linkage=static/.exec(dump)![1];
      const arr = new RegExp(`\\[${fmt}\\] CONST '\\(anon\\)' type_id=(\\d+)`).exec(dump)![1];
      expect(dump).toMatch(new RegExp(`\\[${arr}\\] ARRAY '\\(anon\\)' type_id=\\d+ index_type_id=\\d+ nr_elems=10`));
      expect(dump).toMatch(/DATASEC '\.data' size=8 vlen=1\n\ttype_id=\d+ offset=0 size=8 \(VAR 'seen'\)/);
      expect(dump).toMatch(/DATASEC '\.bss' size=48 vlen=3/);
      const wanted = /\[\d+\] VAR 'wanted' type_id=(\d+), linkage=global/.exec(dump)![1];
      const vol = new RegExp(`\\[${wanted}\\] CONST '\\(anon\\)' type_id=(\\d+)`).exec(dump)![1];
      expect(dump).toMatch(new RegExp(`\\[${vol}\\] VOLATILE '\\(anon\\)' type_id=\\d+`));
      expect(dump).toMatch(/FUNC 'clamp' type_id=\d+ linkage=static/);
      expect(dump).toMatch(/FUNC_PROTO '\(anon\)' ret_type_id=0 vlen=2\n\t's' type_id=\d+\n\t'by' type_id=\d+/);
    });
    it("names the ring buffer's record type", () => {
      expect(runOk("bpftool", ["btf", "dump", "file", object, "format", "c"]).stdout).toContain("typedef struct Event events__record;");
    });
    it("places subprograms in .text as static functions, called through R_BPF_64_32 relocations", () => {
      const syms = runOk("readelf", ["-sW", object]).stdout;
      expect(syms).toMatch(/FUNC +LOCAL +DEFAULT +\d+ clamp/);
      expect(syms).toMatch(/FUNC +GLOBAL +DEFAULT +\d+ onHit/);
      expect(syms).toMatch(/OBJECT +GLOBAL +DEFAULT +\d+ wanted/);
      expect(syms).toMatch(/ 10 OBJECT +LOCAL +DEFAULT +\d+ ____fmt/);
      const dis = runOk("llvm-objdump-19", ["-dr", object]).stdout;
      expect(dis).toMatch(/call -0x1\n\s+[0-9a-f]+:\s+R_BPF_64_32\s+clamp/);
      // The settings a program reads are read through the address of the first one it
      // reads (`enabled`), at their offsets from it in .rodata: `wanted` is 12 bytes before.
      expect(dis).toMatch(/R_BPF_64_64\s+enabled\n(.*\n)+?.*= \*\(u32 \*\)\(r\d - 0xc\)/);
      expect(dis).toMatch(/R_BPF_64_64\s+____fmt/);
      expect(runOk("readelf", ["-SW", object]).stdout).toMatch(/\.bss +NOBITS/);
    });
    it("gives a skeleton with which a C program sets a setting and reads globals", () => {
      const dir = path.join(OUT_DIR, "skeleton");
      fs.mkdirSync(dir, { recursive: true });
      // The types the skeleton names (u64, struct Limits) come from the object's BTF, as a
      // libbpf user's come from vmlinux.h or a shared header.
      fs.writeFileSync(path.join(dir, "types.h"), runOk("bpftool", ["btf", "dump", "file", object, "format", "c"]).stdout);
      fs.writeFileSync(path.join(dir, "probe.skel.h"), runOk("bpftool", ["gen", "skeleton", object, "name", "probe"]).stdout);
      fs.writeFileSync(path.join(dir, "main.c"), `#include <stdio.h>
#include <stdlib.h>
#include "types.h"
#include "probe.skel.h"
int main(void) {
  struct probe *s = probe__open();
  if (!s) return 1;
  s->rodata->wanted = 0;               /* which === 0: v = 0, 3, 6 */
  if (probe__load(s) || probe__attach(s)) return 2;
  if (system(${JSON.stringify(target)}) != 0) return 3;
  printf("%llu %llu %d\\n", (unsigned long long)s->bss->hits, (unsigned long long)s->data->seen, s->bss->last.max);
  probe__destroy(s);
  return 0;
}
`);
      const bin = path.join(dir, "main");
      runOk("gcc", ["-O1", "-Wall", "-Werror", "-DBPF_NO_PRESERVE_ACCESS_INDEX", "-o", bin, path.join(dir, "main.c"), "-lbpf", "-lelf", "-lz"]);
      expect(runOk(bin, []).stdout.trim()).toBe(`${9 + 4} ${100 + 0 + 3 + 6} 8`);
    });
  });
});

describe("stack slots reused once dead", () => {
  it("compiles a handler with 1000 map updates into a 16-byte frame, and every update lands", () => {
    const target = buildTarget("globals", TARGET_C);
    const updates = Array.from({ length: 1000 }, (_, k) => `  m.set(${k}, v + ${k});`).join("\n");
    const { object, listing } = compileProbe("thousand-updates", `import { uprobe, HashMap, type u32, type u64 } from "bpftsc";
const m = new HashMap<u32, u64>(1024);
export const p = uprobe(${JSON.stringify(target)}, "hit", (which: u32, v: u32) => {
${updates}
});
`);
    const offsets = new Set([...listing.matchAll(/\(r10 - (\d+)\)/g)].map((x) => Number(x[1])));
    expect(Math.max(...offsets)).toBeLessThanOrEqual(16);
    const r = runLoader(object, { attach: true, command: [target] });
    const m = getMap(r, "m");
    expect(m.entries).toHaveLength(1000);
    // The last hit() call has v = 8.
    for (const k of [0, 1, 499, 999]) expect(decodeUnsigned(lookup(m, k)!)).toBe(BigInt(8 + k));
  });
});
