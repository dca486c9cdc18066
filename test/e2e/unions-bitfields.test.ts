// Unions and bitfields at a uprobe on targets/unions.c: a union and a struct of bitfields
// read through pointers into the target's memory; written into map values, a map key and
// a ring buffer record from object literals; bitfields changed in place at the edges of
// their ranges (wrapping, sign extension, postfix values). gcc is the oracle: the target
// prints the bytes of the same objects and the values of the same expressions, and the
// maps must hold exactly those bytes. The object's BTF describes the union and the
// bitfields as clang's does for the same C (bpftool format c), and the kernel takes it.
// Then the failure this replaced: a record with a Ptr<file>, a KernelPtr<task_struct> and
// an embedded kernel struct with anonymous unions, whose BTF the kernel used to refuse.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { buildBpfC, buildTargetFile, decodeSigned, getMap, getProgram, lookup, runLoader, type LoaderResult } from "../harness/harness.js";
import { UNIONS_EDGE, UNIONS_FLAGS, UNIONS_VAL } from "../harness/targets/expected.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";

const FLAGS_DECL = `interface Flags {
  a: Bits<u32, 3>;
  b: Bits<i32, 5>;
  c: Bits<u8, 1>;
  d: u16;
  e: Bits<u64, 40>;
  u: Union<{ x: u32; y: u16 }>;
  one: Bits<u32, 1>;
  full: Bits<u32, 32>;
  neg: Bits<i32, 7>;
  big: Bits<i64, 63>;
}`;

/** Members read through the pointer, in the order of the `reads` map from index 3. */
const FLAG_READS = ["a", "b", "c", "d", "e", "u.x", "u.y", "one", "full", "neg", "big"] as const;

/** The ops the target does on `edge` (targets/unions.c), each result in results[i]. */
const OPS = [
  "g.a++", "(g.b -= 1)", "g.neg--", "(g.full += 1)", "(g.one ^= 1)", "(g.big += 1)", "(g.c = 3)", "(g.e += 2)",
];

function source(target: string): string {
  const t = JSON.stringify(target);
  const edge = `{ a: ${UNIONS_EDGE.a}, b: ${UNIONS_EDGE.b}, c: ${UNIONS_EDGE.c}, d: ${UNIONS_EDGE.d}, e: ${UNIONS_EDGE.e}, ` +
    `u: { y: ${UNIONS_EDGE.y} }, one: ${UNIONS_EDGE.one}, full: ${UNIONS_EDGE.full}, neg: ${UNIONS_EDGE.neg}, big: ${UNIONS_EDGE.big} } as Flags`;
  return `import { uprobe, ArrayMap, HashMap, RingBuf, type u8, type u16, type u32, type u64, type i32, type i64, type Bits, type Union, type FixedArray, type Ptr } from "bpftsc";

type Val = Union<{ asU64: u64; asBytes: FixedArray<u8, 8> }>;
type Small = Union<{ w: u64; h: u16 }>;
${FLAGS_DECL}

const reads = new ArrayMap<i64>(16);
const vals = new ArrayMap<Val>(2);
const byVal = new HashMap<Val, u32>(4);
const smalls = new ArrayMap<Small>(1);
// 0: a copy of *f, 1: the edge values, 2: the edge values after OPS, 3: a local.
const flags = new ArrayMap<Flags>(4);
const results = new ArrayMap<i64>(10);
const records = new RingBuf<Flags>(4096);

export const onVal = uprobe(${t}, "take_val", (v: Ptr<Val>) => {
  reads.set(0, v.asU64);
  reads.set(1, v.asBytes[0]);
  reads.set(2, v.asBytes[7]);
  vals.set(0, { asU64: v.asU64 } as Val);
  vals.set(1, { asBytes: [1, 2, 3, 4, 5, 6, 7, 8] as FixedArray<u8, 8> } as Val);
  byVal.set({ asU64: v.asU64 } as Val, 7);
  smalls.set(0, { h: 0xbeef } as Small);
});

export const onFlags = uprobe(${t}, "take_flags", (f: Ptr<Flags>) => {
${FLAG_READS.map((m, i) => `  reads.set(${i + 3}, f.${m});`).join("\n")}
  const copy = { a: f.a, b: f.b, c: f.c, d: f.d, e: f.e, u: { x: f.u.x }, one: f.one, full: f.full, neg: f.neg, big: f.big } as Flags;
  flags.set(0, copy);
  records.output(copy);
  flags.set(1, ${edge});
  flags.set(2, ${edge});
  const g = flags.get(2);
  if (g) {
${OPS.map((op, i) => `    results.set(${i}, ${op});`).join("\n")}
    g.u.x = 0x12345678;
    results.set(8, g.u.y);
    results.set(9, g.d);
  }
  let loc: Flags = { a: 1 } as Flags;
  loc.neg = f.neg;
  loc.big = f.big;
  flags.set(3, loc);
});
`;
}

/** The target's printed lines, `label value`. */
function printed(r: LoaderResult): Map<string, string> {
  return new Map((r.command?.stdout ?? "").trim().split("\n").map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)]));
}

function btfC(object: string): string {
  const r = spawnSync("bpftool", ["btf", "dump", "file", object, "format", "c"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bpftool btf dump failed: ${r.stderr}`);
  return r.stdout;
}

describe("unions and bitfields at a uprobe, against gcc", () => {
  const target = buildTargetFile("unions");
  const { object } = compileProbe("unions", source(target));
  const result = runLoader(object, { attach: true, command: [target] });
  const c = printed(result);
  const at = (map: string, i: number) => lookup(getMap(result, map), i);

  it("the target ran, and the kernel took the object's BTF", () => {
    expect(result.command?.exit_code).toBe(0);
    for (const p of ["onVal", "onFlags"]) expect(getProgram(result, p).btf_id).toBeGreaterThan(0);
  });

  it("reads a union's members through a pointer", () => {
    expect([0, 1, 2].map((i) => decodeSigned(at("reads", i)!))).toEqual([UNIONS_VAL, UNIONS_VAL & 0xffn, UNIONS_VAL >> 56n]);
  });

  it("reads every bitfield through a pointer, shifted, masked and sign-extended", () => {
    const got = FLAG_READS.map((_, i) => decodeSigned(at("reads", i + 3)!));
    expect(got).toEqual(FLAG_READS.map((m) => UNIONS_FLAGS[m.replace("u.", "") as keyof typeof UNIONS_FLAGS]));
  });

  it("writes unions from literals of one member as gcc lays them out, the rest zeroed", () => {
    expect(at("vals", 0)).toBe(c.get("val"));
    expect(at("vals", 1)).toBe(c.get("val")); // the same bytes, as the other member
    expect(at("smalls", 0)).toBe(c.get("small"));
    expect(getMap(result, "byVal").entries).toEqual([{ key: c.get("val"), value: "07000000" }]);
  });

  it("writes bitfields from run-time values into a map value and a ring buffer record as gcc does", () => {
    expect(at("flags", 0)).toBe(c.get("f"));
    expect(getMap(result, "records").records).toEqual([c.get("f")]);
    expect(at("flags", 3)).toBe(c.get("loc"));
  });

  it("writes constant bitfields at the edges of their ranges as gcc does", () => {
    expect(at("flags", 1)).toBe(c.get("edge"));
  });

  it("changes bitfields in place at the edges: wraps, sign extension and expression values as C's", () => {
    expect(at("flags", 2)).toBe(c.get("after"));
    const want = c.get("r")!.split(" ").map(BigInt);
    expect(want.map((_, i) => decodeSigned(at("results", i)!))).toEqual(want);
  });

  it("describes the union and the bitfields in BTF as clang does for the same C", () => {
    const text = btfC(object);
    const clang = btfC(buildBpfC("unions-btf", `${C_TYPEDEFS}
struct Flags { u32 a : 3; i32 b : 5; u8 c : 1; u16 d; u64 e : 40; union { u32 x; u16 y; } u;
  u32 one : 1; u32 full : 32; i32 neg : 7; i64 big : 63; };
union Val { u64 asU64; u8 asBytes[8]; };
union Small { u64 w; u16 h; };
struct Flags flags_; union Val val_; union Small small_;
char _license[] __attribute__((section("license"), used)) = "GPL";
`));
    for (const decl of ["struct Flags {", "union Val {", "union Small {"]) {
      expect(block(text, decl)).toBe(block(clang, decl));
    }
    expect(block(text, "struct Flags {")).toContain("\tu32 a: 3;\n\ti32 b: 5;\n\tu8 c: 1;\n\tu16 d;\n\tu64 e: 40;\n\tunion {\n\t\tu32 x;\n\t\tu16 y;\n\t} u;");
  });
});

describe("object literals with bitfields", () => {
  it("write every byte of a bitfield's unit before its read-modify-write loads it", () => {
    // x lives inside a's u32 unit; an unprivileged verifier refuses reads of unwritten stack.
    const { listing } = compileProbe("bitfield-order", `import { kprobe, ArrayMap, type u8, type u32, type u64, type Bits } from "bpftsc";
interface S { a: Bits<u32, 4>; x: u8 }
const m = new ArrayMap<S>(1);
export const p = kprobe("vfs_read", (count: u64) => {
  m.set(0, { a: count, x: 5 });
});
`);
    const written = new Set<number>();
    let loads = 0;
    for (const line of listing.split("\n")) {
      const st = /\*\(u(8|16|32|64) \*\)\(r10 - (\d+)\) = /.exec(line);
      const ld = /= \*\(u(8|16|32|64) \*\)\(r10 - (\d+)\)/.exec(line);
      const m = st ?? ld;
      if (!m) continue;
      const bytes = Array.from({ length: Number(m[1]) / 8 }, (_, i) => -Number(m[2]) + i);
      if (st) bytes.forEach((b) => written.add(b));
      else {
        loads++;
        expect(bytes.filter((b) => !written.has(b)), line).toEqual([]);
      }
    }
    expect(loads).toBe(1);
  });
});

const C_TYPEDEFS = "typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32; typedef int i32;\n" +
  "typedef unsigned long long u64; typedef long long i64;";

/** The declaration starting with `head` in bpftool's C output, to its closing `};`. */
function block(text: string, head: string): string {
  const start = text.indexOf(`\n${head}\n`);
  if (start < 0) throw new Error(`no '${head}' in:\n${text}`);
  return text.slice(start + 1, text.indexOf("\n};\n", start) + 3);
}

describe("kernel struct pointers and kernel unions in a map value and a ring buffer record", () => {
  // Before real unions, struct file's anonymous unions were written as overlapping struct
  // members and the kernel refused the object's BTF (libbpf: "Error loading .BTF into
  // kernel: -22. BTF is optional, ignoring."); the harness now fails on that.
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, "kernel.d.ts"), kernelTypesToTs(loadKernelBtf(), ["file", "task_struct", "spinlock"], { depth: 0 }).text);
  const { object } = compileProbe("kernel-record", `import { kprobe, HashMap, RingBuf, pid, type u32, type u64, type Ptr, type KernelPtr } from "bpftsc";
import type { file, task_struct, spinlock } from "./kernel.js";

interface Rec { f: Ptr<file>; t: KernelPtr<task_struct>; lock: spinlock; n: u64 }
const last = new HashMap<u32, Rec>(64);
const out = new RingBuf<Rec>(4096);

export const onWrite = kprobe("vfs_write", (file: Ptr<file>) => {
  const r = { f: file, n: 1 } as Rec;
  last.set(pid(), r);
  out.output(r);
});
`);

  it("loads with its BTF", () => {
    const r = runLoader(object);
    expect(getProgram(r, "onWrite").btf_id).toBeGreaterThan(0);
    expect(getMap(r, "last").value_size).toBe(32);
  });

  it("points at the kernel structs with forward declarations and writes the embedded one's unions as unions", () => {
    const text = btfC(object);
    expect(text).toContain("struct file;");
    expect(text).toContain("struct task_struct;");
    expect(text).toMatch(/struct Rec \{\n\tstruct file \*f;\n\tstruct task_struct \*t;\n\tstruct spinlock lock;\n\tu64 n;\n\};/);
    // spinlock -> raw_spinlock -> qspinlock, whose members are an anonymous union.
    expect(text).toMatch(/struct qspinlock \{\n\tunion \{\n\t\tstruct atomic_t val;\n\t\tstruct \{\n\t\t\tu8 locked;/);
  });
});
