// The fetch spec's edges: kernel arguments placed by the x86-64 calling convention when
// structs are passed (or returned) by value (kprobe registers and stack, fentry/fexit
// context slots, from a hand-built BTF), stack-passed kernel arguments by name, return
// probes on void functions, argN past a prototype; tracepoint __data_loc strings read at
// run time, array fields and pointer declarations refused; uprobes by name on gcc- and
// clang-built targets with struct-by-value and 9 parameters, shadowed locals in nested
// blocks, fetchFailed() through parentheses, and probe points that do not exist.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compile, formatDiagnostic, type Diagnostic } from "../../compiler/index.js";
import { BtfBlobBuilder } from "../debuginfo/btf-builder.js";
import { buildTarget, buildTargetFile, decodeCString, decodeSigned, ensureTracefs, getMap, lookup, runLoader } from "../harness/harness.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";

/** Compiles without failing on errors: the diagnostics, and the listing when it compiled. */
function tryCompile(name: string, source: string, btfPath?: string): { diagnostics: Diagnostic[]; listing?: string; object?: string } {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.ts`);
  fs.writeFileSync(file, source);
  const r = compile({ fileName: file, source, btfPath });
  if (!r.object) return { diagnostics: r.diagnostics };
  const object = path.join(OUT_DIR, `${name}.o`);
  fs.writeFileSync(object, r.object);
  return { diagnostics: r.diagnostics, listing: r.listing, object };
}

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error").map(formatDiagnostic);

// A kernel whose functions pass structs by value:
//   long f_pair(long a, struct pair p, long b, long c, long d, long e)   pair: 16 bytes
//   long f_late(long a, long b, long c, long d, long e, struct pair p, long f)
//   long f_big(long a, struct big s, long b)                              big: 24 bytes
//   struct big f_ret(long a)
//   void f_void(long a)
function structBtf(): string {
  const b = new BtfBlobBuilder();
  const long = b.int("long", 8, 1);
  const pair = b.struct("pair", 16, [["x", long, 0], ["y", long, 64]]);
  const big = b.struct("big", 24, [["a", long, 0], ["b", long, 64], ["c", long, 128]]);
  const fn = (name: string, ret: number, params: [string, number][]) => b.func(name, b.proto(ret, params));
  fn("f_pair", long, [["a", long], ["p", pair], ["b", long], ["c", long], ["d", long], ["e", long]]);
  fn("f_late", long, [["a", long], ["b", long], ["c", long], ["d", long], ["e", long], ["p", pair], ["f", long]]);
  fn("f_big", long, [["a", long], ["s", big], ["b", long]]);
  fn("f_ret", big, [["a", long]]);
  fn("f_void", 0, [["a", long]]);
  const file = path.join(OUT_DIR, "struct-args.btf");
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(file, b.build());
  return file;
}

function kernelProbe(kind: string, fn: string, params: string): string {
  const names = params.split(",").map((p) => p.split(":")[0].trim());
  return `import { ${kind}, ArrayMap, type i64, type u64 } from "bpftsc";
const out = new ArrayMap<i64>(4);
export const p = ${kind}(${JSON.stringify(fn)}, (${params}) => {
${names.map((n, i) => `  out.set(${i}, ${n});`).join("\n")}
});
`;
}

describe("kernel arguments by the calling convention, from BTF", () => {
  const btf = structBtf();
  const listing = (kind: string, fn: string, params: string) => {
    const r = tryCompile(`${kind}-${fn}-${params.replace(/\W+/g, "_")}`, kernelProbe(kind, fn, params), btf);
    expect(errors(r.diagnostics)).toEqual([]);
    return r.listing!;
  };
  const reads = (l: string, off: number) => new RegExp(`= \\*\\(u64 \\*\\)\\(r1 \\+ ${off}\\)`).test(l);

  it("kprobe: a 16-byte struct takes two registers, the ones after it shift", () => {
    expect(reads(listing("kprobe", "f_pair", "b: i64"), 88)).toBe(true); // cx, not dx
    expect(reads(listing("kprobe", "f_pair", "d: i64"), 64)).toBe(true); // r9
    // e is the 7th register word: the probed stack, sp+8.
    const e = listing("kprobe", "f_pair", "e: i64");
    expect(reads(e, 152)).toBe(true);
    expect(e).toMatch(/\+= 8\n/);
  });

  it("kprobe: a struct that no longer fits in the registers goes to the stack, the next scalar still in r9", () => {
    expect(reads(listing("kprobe", "f_late", "f: i64"), 64)).toBe(true);
    const p = listing("kprobe", "f_late", "p: i64");
    expect(reads(p, 152)).toBe(true);
    expect(p).toMatch(/\+= 8\n/);
  });

  it("kprobe: a struct over 16 bytes is on the stack; a big struct result takes rdi", () => {
    expect(reads(listing("kprobe", "f_big", "b: i64"), 104)).toBe(true); // si
    expect(reads(listing("kprobe", "f_ret", "a: i64"), 104)).toBe(true); // si: di holds the result pointer
    expect(reads(listing("kprobe", "f_ret", "arg0: i64"), 104)).toBe(true); // argN is the Nth parameter
  });

  it("fentry/fexit: a 16-byte struct takes two context slots; fexit's ret follows them", () => {
    expect(reads(listing("fentry", "f_pair", "b: i64"), 24)).toBe(true);
    expect(reads(listing("fexit", "f_pair", "e: i64"), 48)).toBe(true);
    expect(reads(listing("fexit", "f_pair", "ret: i64"), 56)).toBe(true);
  });

  it("fentry refuses a function with a struct over 16 bytes by value", () => {
    const r = tryCompile("fentry-big", kernelProbe("fentry", "f_big", "a: i64"), btf);
    expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/error BPF6002: fentry cannot attach to f_big\(\): its parameter 's' is a 24-byte struct passed by value/)]);
  });

  it("a return probe on a void function, and argN past the parameters, are errors", () => {
    for (const kind of ["kretprobe", "fexit"]) {
      const r = tryCompile(`${kind}-void`, kernelProbe(kind, "f_void", "ret: i64"), btf);
      expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/\(3,\d+\): error BPF6002: f_void\(\) returns void: there is no return value to fetch\./)]);
    }
    for (const kind of ["kprobe", "fentry"]) {
      const r = tryCompile(`${kind}-arg5`, kernelProbe(kind, "f_void", "arg5: i64"), btf);
      expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/error BPF6001: f_void\(\) has no parameter 'arg5'\. Its parameters: a: i64\./)]);
    }
  });

  it("the kprobe objects load", () => {
    const r = tryCompile("kprobe-struct-load", `import { kprobe, ArrayMap, type i64 } from "bpftsc";
const out = new ArrayMap<i64>(4);
export const p = kprobe("f_late", (a: i64, b: i64, c: i64, p: i64, f: i64) => { out.set(0, a + b + c + p + f); });
`, btf);
    expect(errors(r.diagnostics)).toEqual([]);
    runLoader(r.object!);
  });
});

describe("kernel arguments of the running kernel", () => {
  it("7th and 8th arguments by name (do_mmap's pgoff, populate), an enum and a bool parameter: load", () => {
    const { object, listing } = compileProbe("kernel-stack-args", `import { kprobe, ArrayMap, fetchFailed, type u64, type Ptr } from "bpftsc";
const out = new ArrayMap<u64>(8);
export const mmap = kprobe("do_mmap", (populate: Ptr<u64>, pgoff, file) => {
  out.set(0, pgoff);
  out.set(1, fetchFailed(populate) ? 1 : 0);
  out.set(2, file === undefined ? 0 : 1);
});
export const timer = kprobe("hrtimer_start_range_ns", (mode) => { out.set(3, mode); });
export const attach = kprobe("cgroup_attach_task", (threadgroup) => { out.set(4, threadgroup ? 1 : 0); });
`);
    // pgoff and populate: the probed stack at sp+8 and sp+16.
    expect(listing).toMatch(/r\d = \*\(u64 \*\)\(r\d \+ 152\)\n.*r\d \+= 16\n/);
    expect(listing).toMatch(/r\d = \*\(u64 \*\)\(r\d \+ 152\)\n.*r\d \+= 8\n/);
    runLoader(object);
  });

  it("a kretprobe's ret on a void function is an error at the parameter", () => {
    const r = tryCompile("kretprobe-void", kernelProbe("kretprobe", "do_exit", "ret"));
    expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/kretprobe-void\.ts\(3,\d+\): error BPF6002: do_exit\(\) returns void/)]);
  });
});

describe("tracepoint fields", () => {
  const target = buildTarget("fs-exec", "int main(void) { return 0; }\n");
  const execProbe = `import { tracepoint, RingBuf, readStr, type i32, type Chars, type Ptr, type u8 } from "bpftsc";
interface Exec { pid: i32; name: Chars<256> }
const execs = new RingBuf<Exec>(1 << 16);
export const onExec = tracepoint("sched", "sched_process_exec", (filename: Ptr<u8>, pid: i32) => {
  execs.output({ pid, name: readStr(filename) });
});
`;

  it("a __data_loc char[] field is a pointer into the record: readStr gives the exec'd path", () => {
    const { object, listing } = compileProbe("tp-data-loc", execProbe);
    expect(listing).toMatch(/&= 65535/);
    const r = runLoader(object, { attach: true, command: [target] });
    const execs = getMap(r, "execs").records!.map((hex) => ({ pid: decodeSigned(hex, 0, 4), name: decodeCString(hex, 4, 256) }));
    expect(execs).toContainEqual({ pid: BigInt(r.command!.pid), name: target });
  });

  it("without tracefs, from BTF's __data_loc_<field> member", () => {
    const saved = process.env.BPFTSC_TRACEFS;
    process.env.BPFTSC_TRACEFS = fs.mkdtempSync(path.join(OUT_DIR, "no-tracefs-"));
    try {
      const { object, listing } = compileProbe("tp-data-loc-btf", execProbe);
      expect(listing).toMatch(/&= 65535/);
      runLoader(object);
    } finally {
      if (saved === undefined) delete process.env.BPFTSC_TRACEFS;
      else process.env.BPFTSC_TRACEFS = saved;
    }
  });

  it("a corrupt format file is said to be one, not listed as having no fields", () => {
    const saved = process.env.BPFTSC_TRACEFS;
    const root = fs.mkdtempSync(path.join(OUT_DIR, "bad-tracefs-"));
    fs.mkdirSync(path.join(root, "events", "sched", "sched_switch"), { recursive: true });
    fs.writeFileSync(path.join(root, "events", "sched", "sched_switch", "format"), "name: sched_switch\nID: 1\nformat:\n\tgarbage\n");
    process.env.BPFTSC_TRACEFS = root;
    try {
      const r = tryCompile("tp-corrupt", `import { tracepoint, ArrayMap, type u32 } from "bpftsc";
const out = new ArrayMap<u32>(1);
export const p = tracepoint("sched", "sched_switch", (prev_pid: u32) => { out.set(0, prev_pid); });
`);
      expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/Tracepoint sched\/sched_switch has no field 'prev_pid'\. Its fields: none \(its format describes no fields of its own: is the format file corrupt\?\)/)]);
    } finally {
      if (saved === undefined) delete process.env.BPFTSC_TRACEFS;
      else process.env.BPFTSC_TRACEFS = saved;
    }
  });

  it("refuses a __data_loc field as an integer, an array field as an integer, and a pointer on a 4-byte field", () => {
    const cases: [string, string, RegExp][] = [
      ["sched_process_exec", "filename: u32", /Field 'filename' \(__data_loc char\[\]\) is variable-length data in the record: declare it Ptr<T>/],
      ["sched_process_exec", "pid: Ptr<u8>", /'pid' is i32 in the probed code, too narrow for a pointer/],
      // The kernel stores a pt_regs pointer over the common_* fields before the program runs.
      ["sched_process_exec", "common_pid: i32", /Field 'common_pid' is in the record's first 8 bytes, which BPF programs cannot read/],
    ];
    for (const [event, param, message] of cases) {
      const r = tryCompile(`tp-bad-${param.replace(/\W+/g, "_")}`, `import { tracepoint, type i32, type u8, type u32, type Ptr } from "bpftsc";
export const p = tracepoint("sched", "${event}", (${param}) => { return 0; });
`);
      expect(errors(r.diagnostics)).toEqual([expect.stringMatching(message)]);
    }
    const r = tryCompile("tp-array", `import { tracepoint, type u32 } from "bpftsc";
export const p = tracepoint("task", "task_rename", (newcomm: u32) => { return 0; });
`);
    expect(errors(r.diagnostics)).toEqual([expect.stringMatching(/Field 'newcomm' is char\[16\], 16 bytes: declare it Chars<16>/)]);
  });

  it("a declaration narrower than a field warns, except for syscall events' 8-byte slots", () => {
    const narrow = tryCompile("tp-narrow", `import { tracepoint, type u8 } from "bpftsc";
export const p = tracepoint("sched", "sched_process_exec", (pid: u8) => { return 0; });
`);
    expect(narrow.diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", 6003]]);
    const slot = tryCompile("tp-slot", `import { tracepoint, type i32 } from "bpftsc";
export const p = tracepoint("syscalls", "sys_enter_openat", (dfd: i32) => { return 0; });
`);
    expect(slot.diagnostics).toEqual([]);
  });
});

const USER_C = `#include <stdio.h>
struct big { long a, b, c; };
struct pair { long x, y; };
__attribute__((noinline)) long sv(struct pair p, int k, struct big b, long z) { return p.x + k + b.c + z; }
__attribute__((noinline)) long many(long a, long b, long c, long d, long e, long f, long g, long h, long i) { return a + b + c + d + e + f + g + h + i; }
__attribute__((noinline)) int nest(int n) {
  int x = n * 2;
  int total = 0;
  for (int i = 0; i < n; i++) {
    int x = i + 100;
    total += x; /* INNER */
  }
  return total + x;
}
int main(void) {
  struct pair p = { 11, 22 };
  struct big b = { 33, 44, 55 };
  volatile long r = sv(p, 7, b, 66);
  r += many(1, 2, 3, 4, 5, 6, 7, 8, 9);
  r += nest(3);
  printf("%ld\\n", (long)r);
  return 0;
}
`;
const INNER_LINE = USER_C.split("\n").findIndex((l) => l.includes("INNER")) + 1;

/** USER_C built with clang (buildTarget builds with gcc), once per test process. */
function clangTarget(flags: string[]): string {
  const dir = path.join(OUT_DIR, `clang${flags.join("")}`);
  const bin = path.join(dir, "fsuser");
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "fsuser.c"), USER_C);
  const r = spawnSync("clang", [...flags, "-o", bin, path.join(dir, "fsuser.c")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${flags.join(" ")}: ${r.stderr}`);
  return bin;
}

describe("uprobes by name on gcc and clang targets", () => {
  const targets: [string, () => string, boolean][] = [
    ["gcc -g -O0", () => buildTarget("fsuser", USER_C, ["-g", "-O0"]), true],
    ["clang -g -O0", () => clangTarget(["-g", "-O0"]), true],
    ["clang -g -O2", () => clangTarget(["-g", "-O2"]), false],
  ];
  for (const [what, build, hasInnerLine] of targets) {
    it(`struct-by-value neighbours, a 9th argument, shadowed locals (${what})`, () => {
      const target = build();
      const inner = hasInnerLine
        ? `export const inner = uprobe(${JSON.stringify(target)}, "fsuser.c:${INNER_LINE}", (x: i32, total: i32, i: i32) => { out.set(6 + i, x * 1000 + total); });`
        : "";
      const { object } = compileProbe(`fsuser-${what.replace(/\W+/g, "_")}`, `import { uprobe, ArrayMap, type i32, type i64 } from "bpftsc";
const out = new ArrayMap<i64>(16);
export const structs = uprobe(${JSON.stringify(target)}, "sv", (z: i64, k: i32, b: i64) => { out.set(0, k); out.set(1, z); out.set(2, b); });
export const nine = uprobe(${JSON.stringify(target)}, "many", (i: i64, g: i64, a: i64) => { out.set(3, i); out.set(4, g); out.set(5, a); });
${inner}
`);
      const r = runLoader(object, { attach: true, command: [target] });
      const map = getMap(r, "out");
      const got = Array.from({ length: hasInnerLine ? 9 : 6 }, (_, i) => decodeSigned(lookup(map, i)!));
      // b: the first word of a struct passed on the stack; the inner x shadows the outer one.
      const want = [7n, 66n, 33n, 9n, 7n, 1n];
      expect(got).toEqual(hasInnerLine ? [...want, 100000n, 101100n, 102201n] : want);
    });
  }

  it("a declaration wider than the C type reads only the variable's bytes and extends them by its C type", () => {
    // args8(char a = -1, short b, int c = -3, long d, ..., unsigned int g = 3000000000, unsigned long h):
    // the upper register bits of a and c are not theirs; g is on the register, h on the stack.
    const args = buildTargetFile("args");
    const target = buildTarget("fsuser", USER_C, ["-g", "-O0"]);
    const { object } = compileProbe("wider", `import { uprobe, ArrayMap, type i64, type u64 } from "bpftsc";
const out = new ArrayMap<i64>(8);
export const regs = uprobe(${JSON.stringify(args)}, "args8", (a: i64, c: i64, g: i64, e: u64) => { out.set(0, a); out.set(1, c); out.set(2, g); out.set(3, e); });
`);
    const r = runLoader(object, { attach: true, command: [args] });
    expect([0, 1, 2, 3].map((i) => decodeSigned(lookup(getMap(r, "out"), i)!))).toEqual([-1n, -3n, 3000000000n, 200n]);
    // A 4-byte local in the frame declared i64: its neighbour (the outer x, 6) is not read.
    const local = compileProbe("wider-local", `import { uprobe, ArrayMap, type i64, type u64 } from "bpftsc";
const out = new ArrayMap<i64>(8);
export const inner = uprobe(${JSON.stringify(target)}, "fsuser.c:${INNER_LINE}", (x: i64, i: i64, total: u64) => { out.set(i, x); out.set(4 + i, total); });
`);
    const rl = runLoader(local.object, { attach: true, command: [target] });
    expect([0, 1, 2, 4, 5, 6].map((i) => decodeSigned(lookup(getMap(rl, "out"), i)!))).toEqual([100n, 101n, 102n, 0n, 100n, 201n]);
  });

  it("fetchFailed((x)) of a frame local is the probe read's result, as fetchFailed(x) is", () => {
    const target = buildTarget("fsuser", USER_C, ["-g", "-O0"]);
    const src = (arg: string) => `import { uprobe, ArrayMap, fetchFailed, type i32, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(2);
export const p = uprobe(${JSON.stringify(target)}, "fsuser.c:${INNER_LINE}", (x: i32) => { out.set(0, fetchFailed(${arg}) ? 1 : 0); out.set(1, x); });
`;
    const insns = (listing: string) => listing.split("\n").filter((l) => /^\s+\d+:\t/.test(l)).join("\n");
    const plain = compileProbe("ff-plain", src("x"));
    const paren = compileProbe("ff-paren", src("(x)"));
    expect(insns(paren.listing)).toBe(insns(plain.listing));
    expect(paren.listing).toMatch(/call 112/);
    const r = runLoader(paren.object, { attach: true, command: [target] });
    expect([0, 1].map((i) => decodeSigned(lookup(getMap(r, "out"), i)!))).toEqual([0n, 102n]) // the last of the loop's three hits;
  });

  it("a symbol the binary does not have and an offset past the function are errors; a missing binary is said so", () => {
    const target = buildTarget("fsuser", USER_C, ["-g", "-O0"]);
    const src = (spec: string) => `import { uprobe, ArrayMap, type i32 } from "bpftsc";
const out = new ArrayMap<i32>(1);
export const p = uprobe(${JSON.stringify(target)}, "${spec}", (x: i32) => { out.set(0, x); });
`;
    expect(errors(tryCompile("u-nosym", src("nosuchfn")).diagnostics)).toEqual([expect.stringMatching(/error BPF6006: There is no symbol 'nosuchfn' in .*fsuser\./)]);
    expect(errors(tryCompile("u-past", src("nest+0x10000")).diagnostics)).toEqual([expect.stringMatching(/error BPF6002: nest\+0x10000 is outside nest\(\), which is 0x[0-9a-f]+ bytes long\./)]);
    const missing = tryCompile("u-missing", src("nest").replace(JSON.stringify(target), JSON.stringify(path.join(OUT_DIR, "no-such-binary"))));
    expect(errors(missing.diagnostics)).toEqual([expect.stringMatching(/error BPF6002: .*no-such-binary does not exist; a uprobe attaches to an ELF binary or shared library by its path\./)]);
  });

  it("warns once per program that binds by position, however many parameters it has, compile after compile", () => {
    // entry_SYSCALL_64 is kernel text (kallsyms) that BTF does not describe; the binary has
    // a symbol table but no DWARF.
    const bin = buildTarget("nodwarf", "int f(long a, long b) { return a + b; }\nint main(void) { return f(1, 2); }\n", ["-O0"]);
    const src = `import { kprobe, uprobe, ArrayMap, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(2);
export const k1 = kprobe("entry_SYSCALL_64", (a: u64, b: u64) => { out.set(0, a + b); });
export const k2 = kprobe("entry_SYSCALL_64", (a: u64, b: u64) => { out.set(1, a + b); });
export const u1 = uprobe(${JSON.stringify(bin)}, "f", (a: u64, b: u64) => { out.set(0, a + b); });
export const u2 = uprobe(${JSON.stringify(bin)}, "f", (a: u64, b: u64) => { out.set(1, a + b); });
`;
    const warnings = () => tryCompile("warn-once", src).diagnostics.map((d) => `${d.line}: ${d.message.replace(/ \(.*\)/, "").replace(bin, "BIN")}`);
    const want = [
      "3: Kernel function 'entry_SYSCALL_64' is not in the kernel's BTF; parameters bind by position.",
      "4: Kernel function 'entry_SYSCALL_64' is not in the kernel's BTF; parameters bind by position.",
      "5: BIN has no DWARF for 'f'; parameters bind by position.",
      "6: BIN has no DWARF for 'f'; parameters bind by position.",
    ];
    expect(warnings()).toEqual(want);
    expect(warnings()).toEqual(want);
  });
});

describe("probe points that do not exist are located errors naming what does", () => {
  const probe = (call: string) => `import { kprobe, kretprobe, fentry, uprobe, uretprobe, tracepoint, ArrayMap, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(1);
export const p = ${call};
`;
  const first = (name: string, call: string) => {
    const d = tryCompile(name, probe(call)).diagnostics.find((x) => x.severity === "error");
    expect(d, "an error").toBeDefined();
    return d!;
  };
  it("a kernel function, even with no parameters to bind", () => {
    for (const kind of ["kprobe", "kretprobe", "fentry"]) {
      const d = first(`pp-${kind}`, `${kind}("vfs_raed", () => { out.set(0, 1); })`);
      expect({ code: d.code, line: d.line, col: d.col }).toEqual({ code: 6006, line: 3, col: 19 + kind.length });
      expect(d.message).toMatch(/^There is no kernel function 'vfs_raed' in the kernel's BTF \(\/sys\/kernel\/btf\/vmlinux\)\. Similar names: vfs_read\b/);
    }
  });
  it("a tracepoint, and a tracepoint category", () => {
    ensureTracefs();
    const ev = first("pp-tp", `tracepoint("syscalls", "sys_enter_opnat", () => { out.set(0, 1); })`);
    expect(ev).toMatchObject({ code: 6006, line: 3, col: 41 });
    expect(ev.message).toMatch(/^There is no tracepoint 'syscalls\/sys_enter_opnat' in \S+\/events\/syscalls\. Similar names: sys_enter_openat\b/);
    const cat = first("pp-cat", `tracepoint("syscals", "sys_enter_openat", () => { out.set(0, 1); })`);
    expect(cat).toMatchObject({ code: 6006, line: 3, col: 29 });
    expect(cat.message).toMatch(/^There is no tracepoint category 'syscals' in \S+\/events\. Similar names: syscalls\b/);
  });
  it("a uprobe binary that is missing or not ELF, and a symbol it lacks", () => {
    const bin = buildTarget("nodwarf", "int f(long a, long b) { return a + b; }\nint main(void) { return f(1, 2); }\n", ["-O0"]);
    expect(first("pp-nobin", `uprobe("/no/such/binary", "f", () => { out.set(0, 1); })`)).toMatchObject({ code: 6002, line: 3, col: 25, message: "/no/such/binary does not exist; a uprobe attaches to an ELF binary or shared library by its path." });
    const text = path.join(OUT_DIR, "not-elf.txt");
    fs.writeFileSync(text, "hello\n");
    expect(first("pp-notelf", `uprobe(${JSON.stringify(text)}, "f", () => { out.set(0, 1); })`).message).toBe(`${text} is not an ELF binary (a uprobe attaches to an executable or a shared library).`);
    const sym = first("pp-nosym", `uretprobe(${JSON.stringify(bin)}, "ff", () => { out.set(0, 1); })`);
    expect(sym.code).toBe(6006);
    expect(sym.message).toBe(`There is no symbol 'ff' in ${bin}. Similar names: f.`);
  });
  it("a return probe's parameter that is not the return value", () => {
    const d = first("pp-ret", `kretprobe("vfs_read", (count: u64) => { out.set(0, count); })`);
    expect(d).toMatchObject({ code: 6002, line: 3, col: 41, message: "A return probe fetches one value, the return value: name it 'ret'." });
  });
});
