// The language of real tools at run time, through a uprobe on tick(i) of targets/args.c
// (i = 0..9): each probe writes what it computes to out[], compared with what the README
// says it computes. switch, atomic adds on fields and globals, map update flags and
// lookup-or-init, pointer/integer conversion, Chars compared and indexed, and more.

import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { buildTarget, buildTargetFile, decodeCString, decodeSigned, getGlobal, getMap, lookup, runLoader } from "../harness/harness.js";
import { ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";
import { runOk } from "../object/tools.js";

const HEADER = `import {
  uprobe, HashMap, ArrayMap, atomicAdd, comm, pid, tid, currentTask, toAddress, toKernelPtr, startsWith, fieldExists, typeExists,
  type KernelPtr,
  type i32, type i64, type u8, type u32, type u64, type Chars, type FixedArray,
} from "bpftsc";
const out = new ArrayMap<i64>(64);
`;

interface Case {
  name: string;
  /** Declarations before the program; TARGET is the binary. */
  prelude?: string;
  body: string;
  expect: Record<number, bigint>;
  globals?: Record<string, bigint>;
}

const perTick = (f: (i: bigint) => bigint, base = 0): Record<number, bigint> =>
  Object.fromEntries(ARGS_TICKS.map((i) => [base + Number(i), BigInt.asIntN(64, f(i))]));

const CASES: Case[] = [
  {
    name: "switch: case values, fallthrough, default, break inside a loop",
    body: `let v: i64 = 0;
  switch (i) {
    case 0: v = 100; break;
    case 1:
    case 2: v = 200; break;
    case 3: v = 300;
    case 4: v += 1; break;
    default: {
      for (let k = 0; k < 4; k++) { if (k === 2) break; v += 10; }
    }
  }
  out.set(i, v);`,
    expect: perTick((i) => (i === 0n ? 100n : i <= 2n ? 200n : i === 3n ? 301n : i === 4n ? 1n : 20n)),
  },
  {
    name: "switch with continue in a loop around it",
    body: `let s: i64 = 0;
  for (let k = 0; k < 6; k++) {
    switch (k % 3) {
      case 0: continue;
      case 1: s += k; break;
      default: s += 100;
    }
  }
  out.set(i, s + i);`,
    expect: perTick((i) => 1n + 4n + 200n + i),
  },
  {
    name: "atomicAdd on a map value's field and on a global; insert, replace and getOrInit",
    prelude: `interface Stats { calls: u64; sum: u64 }
const stats = new HashMap<u32, Stats>(4);
const flags = new HashMap<u32, i64>(16);
let total: u64 = 0;`,
    body: `const s = stats.getOrInit(7, { calls: 0, sum: 0 });
  if (s !== undefined) { atomicAdd(s.calls, 1); atomicAdd(s.sum, i); }
  atomicAdd(total, 2);
  const added = flags.insert(i % 3, i);       // only the first of each residue
  const replaced = flags.replace(100 + i, 1); // never present
  out.set(20 + i, (added ? 1 : 0) + (replaced ? 10 : 0));
  const t = stats.get(7);
  if (t !== undefined) { out.set(0, t.calls); out.set(1, t.sum); }
  const f = flags.get(i % 3);
  if (f !== undefined) out.set(40 + i, f);`,
    expect: {
      0: 10n, 1: 45n,
      ...perTick((i) => (i < 3n ? 1n : 0n), 20),
      ...perTick((i) => i % 3n, 40),
    },
    globals: { total: 20n },
  },
  {
    name: "currentTask(): the task's tgid, pid and parent through CO-RE; an address and back",
    prelude: `/** @kernel task_struct */
interface task_struct { pid: i32; tgid: i32; real_parent: KernelPtr<task_struct> }`,
    body: `const task = currentTask<task_struct>();
  out.set(0, task.tgid === pid() ? 1 : 0);
  out.set(1, task.pid === tid() ? 1 : 0);
  const parent = task.real_parent.tgid;
  out.set(2, parent > 0 && parent !== task.tgid ? 1 : 0);
  const again = toKernelPtr<task_struct>(toAddress(task));
  out.set(3, again.pid === tid() ? 1 : 0);`,
    expect: { 0: 1n, 1: 1n, 2: 1n, 3: 1n },
  },
  {
    name: "Chars: compared with literals, a prefix, one byte, filled from a literal, read from kernel memory",
    prelude: `/** @kernel task_struct */
interface task_struct { pid: i32; comm: Chars<16> }
interface Rec { id: u32; name: Chars<8> }
const recs = new HashMap<u32, Rec>(4);`,
    body: `const c: Chars<16> = comm();
  out.set(0, c === "args" ? 1 : 0);
  out.set(1, c !== "bash" ? 1 : 0);
  out.set(2, comm() === "arg" ? 1 : 0);
  out.set(3, startsWith(c, "ar") ? 1 : 0);
  out.set(4, startsWith(c, "rg") ? 1 : 0);
  out.set(5, c[0] === "a" ? 1 : 0);
  out.set(6, c[4] === "\\0" ? 1 : 0);
  recs.set(1, { id: 1, name: "hello" });
  const r = recs.get(1);
  if (r !== undefined) { out.set(7, r.name === "hello" ? 1 : 0); out.set(8, r.name === "hell" ? 1 : 0); }
  const task = currentTask<task_struct>();
  out.set(9, task.comm === "args" ? 1 : 0);
  const copied: Chars<16> = task.comm;
  out.set(10, startsWith(copied, "args") ? 1 : 0);
  out.set(11, c === "a-string-longer-than-16-bytes" ? 1 : 0);`,
    expect: { 0: 1n, 1: 1n, 2: 0n, 3: 1n, 4: 0n, 5: 1n, 6: 1n, 7: 1n, 8: 0n, 9: 1n, 10: 1n, 11: 0n },
  },
  {
    name: "CO-RE checks: fieldExists and typeExists on local flavours (a bare @kernel tag too), the other kernel's field read only under its guard",
    prelude: `/** @kernel task_struct___new */
interface task_struct___new { __state: u32; pid: i32 }
/** @kernel task_struct___old */
interface task_struct___old { state: i64 }
/** @kernel bpftsc_no_such_struct___x */
interface bpftsc_no_such_struct___x { a: u32 }
/** @kernel */
interface task_struct___bare { tgid: i32 }`,
    body: `const t = currentTask<task_struct___new>();
  const o = currentTask<task_struct___old>();
  const b = currentTask<task_struct___bare>();
  out.set(0, fieldExists(t.__state) ? 1 : 0);
  out.set(1, fieldExists(o.state) ? 1 : 0);
  out.set(2, fieldExists(o.state) ? o.state : t.__state);   // running: 0
  out.set(3, typeExists<task_struct___new>() ? 1 : 0);
  out.set(4, typeExists<bpftsc_no_such_struct___x>() ? 1 : 0);
  out.set(5, t.pid === tid() ? 1 : 0);
  out.set(6, fieldExists(b.tgid) && b.tgid === pid() ? 1 : 0);   // a bare @kernel names the declaration`,
    expect: { 0: 1n, 1: 0n, 2: 0n, 3: 1n, 4: 0n, 5: 1n, 6: 1n },
  },
];

describe("language features at run time", () => {
  const target = buildTargetFile("args");
  for (const c of CASES) {
    it(c.name, () => {
      const source = `${HEADER}${(c.prelude ?? "").replaceAll("TARGET", JSON.stringify(target))}
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  ${c.body}
});
`;
      const { object } = compileProbe(`lang-${c.name.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 50)}`, source);
      const r = runLoader(object, { attach: true, command: [target] });
      const map = getMap(r, "out");
      const got = Object.fromEntries(Object.keys(c.expect).map((k) => [k, decodeSigned(lookup(map, Number(k))!)]));
      expect(got).toEqual(Object.fromEntries(Object.entries(c.expect).map(([k, v]) => [k, BigInt.asIntN(64, v)])));
      for (const [g, v] of Object.entries(c.globals ?? {})) expect(decodeSigned(getGlobal(r, g).value), g).toBe(v);
    });
  }
});

describe("a PerfEventArray", () => {
  it("sends each record to the current CPU's perf buffer, described in BTF as the ring buffer's are", () => {
    const target = buildTargetFile("args");
    const { object } = compileProbe("lang-perf", `import { uprobe, PerfEventArray, cpu, type i32, type u32 } from "bpftsc";
interface Tick { i: i32; cpu: u32 }
const ticks = new PerfEventArray<Tick>();
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => { ticks.output({ i, cpu: cpu() }); });
`);
    const r = runLoader(object, { attach: true, command: [target] });
    expect(r.perf_lost).toBe(0);
    const m = getMap(r, "ticks");
    expect(m).toMatchObject({ type: "perf_event_array", key_size: 4, value_size: 4, max_entries: r.possible_cpus });
    expect(m.records!.map((h) => decodeSigned(h, 0, 4)).sort((a, b) => Number(a - b))).toEqual(ARGS_TICKS);
    expect(runOk("bpftool", ["btf", "dump", "file", object, "format", "c"]).stdout).toContain("typedef struct Tick ticks__record;");
  });
});

describe("tracepoint char[N] fields", () => {
  it("task_rename's oldcomm and newcomm (at offsets 12 and 28) are Chars<16> parameters: compared, used as a key, sent in a record", () => {
    const target = buildTarget("renamer", `#include <sys/prctl.h>
int main(void) { prctl(PR_SET_NAME, "tp-renamed"); prctl(PR_SET_NAME, "tp-again"); return 0; }
`);
    const { object, listing } = compileProbe("lang-tp-chars", `import { tracepoint, HashMap, RingBuf, type i32, type u64, type Chars } from "bpftsc";
interface Rename { pid: i32; from: Chars<16>; to: Chars<16> }
export const renames = new RingBuf<Rename>(4096);
const byName = new HashMap<Chars<16>, u64>(64);
export const onRename = tracepoint("task", "task_rename", (pid: i32, oldcomm: Chars<16>, newcomm: Chars<16>) => {
  if (oldcomm !== "renamer" && oldcomm !== "tp-renamed") return;
  byName.add(newcomm, 1);
  renames.output({ pid, from: oldcomm, to: newcomm });
});
`);
    // Context and stack accesses aligned to their size: oldcomm at 12 is read in words.
    for (const off of [12, 16, 20, 24]) expect(listing).toContain(`= *(u32 *)(r1 + ${off})`);
    const r = runLoader(object, { attach: true, command: [target] });
    const recs = getMap(r, "renames").records!.map((h) => [decodeCString(h, 4, 16), decodeCString(h, 20, 16)]);
    expect(recs).toEqual([["renamer", "tp-renamed"], ["tp-renamed", "tp-again"]]);
    const keys = getMap(r, "byName").entries!.map((e) => decodeCString(e.key)).sort();
    expect(keys).toEqual(["tp-again", "tp-renamed"]);
  });
  it("a declared type of another size is an error naming the field's C type", () => {
    expect(() => compileProbe("lang-tp-chars-bad", `import { tracepoint, type Chars } from "bpftsc";
export const onRename = tracepoint("task", "task_rename", (oldcomm: Chars<8>) => 0);
`)).toThrow(/Field 'oldcomm' is char\[16\], 16 bytes: declare it Chars<16>/);
  });
});

describe("raw tracepoints and BTF tracepoints", () => {
  const target = buildTarget("rawtp", `#include <sys/syscall.h>
#include <unistd.h>
int main(void) { for (int i = 0; i < 5; i++) syscall(SYS_getpid); return 0; }
`);
  it("rawTracepoint: arguments typed from btf_trace_<event>, attached here; counts one process's getpid calls", () => {
    const { object } = compileProbe("lang-rawtp", `import { rawTracepoint, ArrayMap, comm, type i64, type u64, type Ptr } from "bpftsc";
const out = new ArrayMap<u64>(2);
export const enter = rawTracepoint("sys_enter", (regs: Ptr<unknown>, id: i64) => {
  if (comm() === "rawtp" && id === ${39}) out.add(0, 1);
});
`);
    const r = runLoader(object, { attach: true, command: [target] });
    expect(r.programs).toMatchObject([{ name: "enter", section: "raw_tp/sys_enter", type: "raw_tracepoint", attached: true }]);
    expect(decodeSigned(lookup(getMap(r, "out"), 0)!)).toBe(5n);
  });
  it("tpBtf: section tp_btf/<event>, arguments from the context's slots (this kernel refuses tracing programs: checked with tools)", () => {
    const { object, listing } = compileProbe("lang-tpbtf", `import { tpBtf, ArrayMap, type i64, type u64, type Ptr } from "bpftsc";
const out = new ArrayMap<u64>(2);
export const onSwitch = tpBtf("sched_switch", (preempt: u64, prev: Ptr<unknown>, next: Ptr<unknown>) => { out.set(0, preempt); out.set(1, toAddress(next)); });
`.replace("type Ptr }", "type Ptr, toAddress }"));
    expect(runOk("readelf", ["-SW", object]).stdout).toContain("tp_btf/sched_switch");
    expect(listing).toMatch(/r\d = \*\(u8 \*\)\(r1 \+ 0\)/); // bool preempt: its own byte
    expect(listing).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 16\)/);
    expect(runOk("bpftool", ["btf", "dump", "file", object]).stdout).toMatch(/FUNC 'onSwitch' type_id=\d+ linkage=global/);
  });
  it("an unknown BTF tracepoint names similar ones", () => {
    expect(() => compileProbe("lang-tpbtf-bad", `import { tpBtf } from "bpftsc";\nexport const p = tpBtf("sched_swich", () => 0);\n`)).toThrow(/There is no tracepoint 'sched_swich' in the kernel's BTF .* Similar names: sched_switch/);
  });
});

describe("stack traces and cgroups", () => {
  it("a user stack by id in a StackTraceMap and into a buffer, and the current cgroup's id", () => {
    const target = buildTargetFile("args");
    const { object } = compileProbe("lang-stacks", `import { uprobe, ArrayMap, StackTraceMap, CgroupArray, userStack, cgroupId, type i32, type i64, type u64, type FixedArray } from "bpftsc";
const out = new ArrayMap<i64>(8);
const stacks = new StackTraceMap(64, 16);
const groups = new CgroupArray(1);
export const probe = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  if (i !== 3) return;
  out.set(0, stacks.userStackId());
  const buf: FixedArray<u64, 8> = [0, 0, 0, 0, 0, 0, 0, 0];
  out.set(1, userStack(buf));
  out.set(2, buf[0]);
  out.set(3, cgroupId());
  out.set(4, groups.currentTaskUnder(0) ? 1 : 0);  // no cgroup put in: not under it
});
`);
    const r = runLoader(object, { attach: true, command: [target] });
    const out = getMap(r, "out");
    const at = (k: number) => decodeSigned(lookup(out, k)!);
    expect(at(0)).toBeGreaterThanOrEqual(0n);
    expect(at(1) > 0n && at(1) % 8n === 0n).toBe(true);
    const stack = lookup(getMap(r, "stacks"), at(0))!;
    expect(stack.length).toBe(16 * 8 * 2);
    expect(decodeSigned(stack, 0, 8)).toBe(at(2));
    const cg = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"))!.slice(3);
    expect(at(3)).toBe(BigInt(fs.statSync(`/sys/fs/cgroup/unified${cg}`).ino));
    expect(at(4)).toBe(0n);
  });
});
