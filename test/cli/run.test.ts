// `bpftsc run` for real, on uprobes of fixtures/run-target.c (fixtures/run-probe.ts: a
// ring buffer, a hash map, an array, a per-CPU array, two Log2Hists, settings of each
// kind, globals): the exact text and JSON it prints, --set (cpid too), -d, -i, SIGINT and SIGTERM
// (records reach a pipe while the run goes on; the maps are still printed), --btf, a
// verifier rejection, compile errors and bad usage with their exit statuses.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../harness/harness.js";
import { RUN_DIR, bpftscCommand, bpftscRun, ensureBuilt, runFixture, startRun, writeProbe } from "./run-helper.js";

const RECORDS = Array.from({ length: 10 }, (_, i) => `{ i: ${i}, scaled: ${i}, name: "run-target" }\n`).join("");

/** bpftrace 0.17 draws `@values = hist(v)` of run-target.c's VALUES exactly so. */
const VALUES_HIST = `@values: 
(..., 0)               2 |@@@@@@@@@@                                          |
[0]                    3 |@@@@@@@@@@@@@@@                                     |
[1]                    1 |@@@@@                                               |
[2, 4)                 4 |@@@@@@@@@@@@@@@@@@@@                                |
[4, 8)                10 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                0 |                                                    |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              0 |                                                    |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              0 |                                                    |
[1K, 2K)               7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                |
[2K, 4K)               0 |                                                    |
[4K, 8K)               0 |                                                    |
[8K, 16K)              0 |                                                    |
[16K, 32K)             0 |                                                    |
[32K, 64K)             0 |                                                    |
[64K, 128K)            0 |                                                    |
[128K, 256K)           0 |                                                    |
[256K, 512K)           0 |                                                    |
[512K, 1M)             0 |                                                    |
[1M, 2M)               1 |@@@@@                                               |
`;

const MAPS = `@byRest[1]: 12
@byRest[2]: 15
@byRest[0]: 18

@slots[0]: 8
@slots[1]: 9
@slots[2]: 6
@slots[3]: 7

@perCpu[0]: 10

@sizes: 
[0]                    1 |@@@@@@@@@@@@@                                       |
[1]                    1 |@@@@@@@@@@@@@                                       |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[4, 8)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

${VALUES_HIST}
`;

const GLOBALS = `scale: 1
enabled: true
limits: { min: 0, max: 100, weights: [1, 1] }
calls: 10
last: 3
changes: 6
`;

const TEXT = `${RECORDS}\n${MAPS}${GLOBALS}`;
const ATTACHED = "Attached 2 programs (onTick, onObserve); Ctrl-C ends the run.\n";
const CPUS = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim().split(",")
  .reduce((n, r) => { const [a, b = a] = r.split("-").map(Number); return n + b! - a! + 1; }, 0);

describe("bpftsc run", () => {
  let target: string, probe: string;
  beforeAll(() => {
    ensureBuilt();
    ({ target, probe } = runFixture());
  });

  it("prints records as they arrive, then maps, settings and globals, as text", () => {
    const r = bpftscRun([probe, "-c", target]);
    expect(r.stderr).toBe(ATTACHED);
    expect(r.stdout).toBe(TEXT);
    expect(r.status).toBe(0);
  });

  it("--json: one object per line; every array slot; per-CPU values one per CPU", () => {
    const r = bpftscRun([probe, "-c", target, "--json"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const slots = (counts: Record<number, number>) => Array.from({ length: 66 }, (_, key) => ({ key, value: counts[key] ?? 0 }));
    const perCpu = lines.find((l) => l.map === "perCpu");
    expect(perCpu.entries.map((e: { key: number }) => e.key)).toEqual([0, 1]);
    for (const e of perCpu.entries) expect(e.value.length).toBe(CPUS);
    expect(perCpu.entries[0].value.reduce((a: number, b: number) => a + b)).toBe(10);
    expect(perCpu.entries[1].value).toEqual(Array(CPUS).fill(0));
    expect(lines.filter((l) => l !== perCpu)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ({ event: "ticks", value: { i, scaled: i, name: "run-target" } })),
      { map: "byRest", entries: expect.arrayContaining([{ key: 0, value: 18 }, { key: 1, value: 12 }, { key: 2, value: 15 }]) },
      { map: "slots", entries: [8, 9, 6, 7, 0, 0].map((value, key) => ({ key, value })) },
      { map: "sizes", entries: slots({ 1: 1, 2: 1, 3: 2, 4: 4, 5: 2 }) },
      { map: "values", entries: slots({ 0: 2, 1: 3, 2: 1, 3: 4, 4: 10, 12: 7, 22: 1 }) },
      { global: "scale", value: 1 },
      { global: "enabled", value: true },
      { global: "limits", value: { min: 0, max: 100, weights: [1, 1] } },
      { global: "calls", value: 10 },
      { global: "last", value: 3 },
      { global: "changes", value: 6 },
    ]);
    expect(lines.find((l) => l.map === "byRest").entries.length).toBe(3);
  });

  it("--set changes settings before load: integers (0x hex too), structs and arrays as JSON, bools", () => {
    const r = bpftscRun([probe, "-c", target, "--set", "scale=0x3", "--set", 'limits={"min":2,"max":5,"weights":[1,2]}']);
    expect(r.status).toBe(0);
    expect(r.stdout.slice(0, r.stdout.indexOf("\n\n") + 1)).toBe([2, 3, 4, 5].map((i) => `{ i: ${i}, scaled: ${3 * i}, name: "run-target" }\n`).join(""));
    // byRest: i % 3 += i * weights[i % 2]: 0: 3 * 2; 1: 4 * 1; 2: 2 * 1 + 5 * 2.
    expect(r.stdout).toContain("\n@byRest[1]: 4\n@byRest[0]: 6\n@byRest[2]: 12\n");
    expect(r.stdout).toMatch(/\nscale: 3\nenabled: true\nlimits: \{ min: 2, max: 5, weights: \[1, 2\] \}\ncalls: 4\n/);
    const off = bpftscRun([probe, "-c", target, "--set", "enabled=false"]);
    expect(off.status).toBe(0);
    expect(off.stdout).toBe(`\n${VALUES_HIST}\nscale: 1\nenabled: false\nlimits: { min: 0, max: 100, weights: [1, 1] }\ncalls: 0\nlast: 3\nchanges: 6\n`);
  });

  it("--set with an unknown name, a global, or a value that does not fit: exit 2, naming the settings", () => {
    const settings = "(settings: scale, enabled, limits)";
    const cases: [string, string][] = [
      ["nope=1", `--set nope: no setting 'nope' ${settings}`],
      ["calls=1", `--set calls: 'calls' is a global, not a load-time setting ${settings}`],
      ["scale=abc", `--set scale=abc: expected an integer (decimal or 0x hex) ${settings}`],
      ["scale=-1", `--set scale=-1: scale: -1 is out of range for u64 (0..18446744073709551615) ${settings}`],
      ["enabled=2", `--set enabled=2: expected true, false, 1 or 0 ${settings}`],
      ["limits={bad", `--set limits={bad: expected JSON for a struct ${settings}`],
      ['limits={"min":1}', `--set limits={"min":1}: limits: missing field 'max' of struct Limits ${settings}`],
    ];
    for (const [set, message] of cases) {
      const r = bpftscRun([probe, "--set", set]);
      expect(r.stderr).toBe(`bpftsc run: ${message}\n`);
      expect([r.status, r.stdout]).toEqual([2, ""]);
    }
  });

  it("--set NAME=cpid: the -c command's pid, known at load (the command waits, held, until attached)", () => {
    const script = path.join(RUN_DIR, "print-pid.sh");
    mkdirSync(RUN_DIR, { recursive: true });
    // The script's shell is the command: it prints its pid, then becomes the target.
    writeFileSync(script, `#!/bin/sh\necho "pid=$$"\nexec ${target}\n`, { mode: 0o755 });
    const r = bpftscRun([probe, "-c", script, "--set", "scale=cpid", "--json"]);
    expect(r.status).toBe(0);
    const [first, ...rest] = r.stdout.trimEnd().split("\n");
    const pid = Number(/^pid=(\d+)$/.exec(first!)?.[1]);
    expect(pid).toBeGreaterThan(1);
    const lines = rest.map((l) => JSON.parse(l));
    expect(lines.find((l) => l.global === "scale")).toEqual({ global: "scale", value: pid });
    // Every call of the target was seen: the first happens right after exec.
    expect(lines.filter((l) => l.event === "ticks").map((l) => l.value.scaled)).toEqual(Array.from({ length: 10 }, (_, i) => i * pid));

    const none = bpftscRun([probe, "--set", "scale=cpid"]);
    expect([none.status, none.stdout, none.stderr]).toEqual([2, "", expect.stringMatching(/^bpftsc run: --set scale=cpid: cpid is the -c command's pid, and there is no -c\n/)]);
  });

  it("started as a command, Node runs without NODE_EXTRA_CA_CERTS; the -c command gets it back", () => {
    const script = path.join(RUN_DIR, "print-env.sh");
    mkdirSync(RUN_DIR, { recursive: true });
    // Its parent is bpftsc's Node: /proc/PPID/environ is what that Node started with.
    writeFileSync(script, `#!/bin/sh\necho "ca=$NODE_EXTRA_CA_CERTS moved=\${BPFTSC_NODE_EXTRA_CA_CERTS-unset} node=$(tr '\\0' '\\n' </proc/$PPID/environ | grep -c ^NODE_EXTRA_CA_CERTS=)"\nexec ${target}\n`, { mode: 0o755 });
    // A file Node could not load: Node warns at start when it is given one.
    const r = bpftscCommand([probe, "-c", script], { NODE_EXTRA_CA_CERTS: "/nonexistent/extra-ca.pem" });
    expect([r.status, r.stderr]).toEqual([0, ATTACHED]);
    expect(r.stdout.split("\n")[0]).toBe("ca=/nonexistent/extra-ca.pem moved=unset node=0");
  });

  it("a LinearHist is drawn as bpftrace 0.17 draws lhist() of the same values", () => {
    const lhist = writeProbe("run-lhist.ts", `import { uprobe, LinearHist, type i64 } from "bpftsc";
export const h = new LinearHist(0, 2048, 512);
export const onObserve = uprobe(${JSON.stringify(target)}, "observe", (v: i64) => { h.observe(v); });
`);
    // bpftrace -e 'uprobe:run-target:observe { @h = lhist((int64)arg0, 0, 2048, 512); }' -c run-target
    const BPFTRACE = `@h: 
(..., 0)               2 |@@@@@                                               |
[0, 512)              18 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[512, 1K)              0 |                                                    |
[1K, 1536)             7 |@@@@@@@@@@@@@@@@@@@@                                |
[1536, 2K)             0 |                                                    |
[2K, ...)              1 |@@                                                  |
`;
    const r = bpftscRun([lhist, "-c", target]);
    expect([r.status, r.stdout]).toEqual([0, `\n${BPFTRACE}\n`]);
    const json = bpftscRun([lhist, "-c", target, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ map: "h", entries: [2, 18, 0, 7, 0, 1].map((value, key) => ({ key, value })) });
    const bad = writeProbe("run-lhist-bad.ts", `import { uprobe, LinearHist, type i64 } from "bpftsc";
export const h = new LinearHist(100, 0, 10);
export const onObserve = uprobe(${JSON.stringify(target)}, "observe", (v: i64) => { h.observe(v); });
`);
    const refused = bpftscRun([bad]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/run-lhist-bad\.ts\(2,18\): error BPF\d+: LinearHist takes min, max and step, integer constants with min < max, step > 0; here min 100, max 0, step 10\./);
  });

  it("-d ends a run", () => {
    const t = Date.now();
    const r = bpftscRun([probe, "-d", "1"]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(1000);
    expect(r.status).toBe(0);
    // Nothing ran: empty maps, all-zero arrays and histograms print nothing.
    expect(r.stdout).toBe("\nscale: 1\nenabled: true\nlimits: { min: 0, max: 100, weights: [1, 1] }\ncalls: 0\nlast: 0\nchanges: 0\n");
  });

  it("SIGINT ends a run and still prints the maps; a pipe reader gets each record while the run goes on", async () => {
    const run = startRun([probe]);
    await run.until((o) => o.stderr === ATTACHED);
    expect(spawnSync(target).status).toBe(0);
    await run.until((o) => o.stdout === RECORDS);
    run.kill("SIGINT");
    const r = await run.done;
    expect([r.status, r.stdout, r.stderr]).toEqual([0, TEXT, ATTACHED]);
  });

  it("SIGTERM ends a run too", async () => {
    const run = startRun([probe, "--json"]);
    await run.until((o) => o.stderr === ATTACHED);
    run.kill("SIGTERM");
    const r = await run.done;
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).at(-1)).toEqual({ global: "changes", value: 0 });
  });

  it("-i prints the maps every interval under the time, as bpftrace's interval probes do", () => {
    const r = bpftscRun([probe, "-c", `${target} 1700`, "-i", "0.5"]);
    expect(r.status).toBe(0);
    const intervals = r.stdout.slice(RECORDS.length, r.stdout.length - `\n${MAPS}${GLOBALS}`.length);
    const parts = intervals.split(/^(\d\d:\d\d:\d\d)\n/m);
    expect(parts[0]).toBe("");
    expect(parts.length).toBeGreaterThanOrEqual(5); // "", time, maps, time, maps...
    for (let k = 2; k < parts.length; k += 2) expect(parts[k]).toBe(MAPS);
    expect(r.stdout.startsWith(RECORDS) && r.stdout.endsWith(`\n${MAPS}${GLOBALS}`)).toBe(true);
    const json = bpftscRun([probe, "-c", `${target} 1200`, "-i", "0.5", "--json"]);
    const lines = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const times = lines.flatMap((l, k) => ("time" in l ? [k] : []));
    expect(times.length).toBeGreaterThanOrEqual(2);
    for (const k of times) {
      expect(new Date(lines[k].time).toISOString()).toBe(lines[k].time);
      expect(lines.slice(k + 1, k + 6).map((l) => l.map)).toEqual(["byRest", "slots", "perCpu", "sizes", "values"]);
    }
  });

  it("a probe the kernel rejects at load: exit 1 with the verifier's log, mapped to the TypeScript line", () => {
    // A field only another kernel has, read without a fieldExists() guard: the compiler
    // cannot know which kernel loads it; libbpf poisons the read on this one.
    const rejected = writeProbe("rejected.ts", `import { tracepoint, ArrayMap, currentTask, type i64 } from "bpftsc";
/** @kernel task_struct___old */
interface task_struct___old { state: i64 }
const out = new ArrayMap<i64>(1);
export const onGetpid = tracepoint("syscalls", "sys_enter_getpid", () => {
  out.set(0, currentTask<task_struct___old>().state);
});
`);
    const r = bpftscRun([rejected, "-d", "1"]);
    expect([r.status, r.stdout]).toEqual([1, ""]);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^bpftsc run: loading rejected failed: .*\(errno 22/);
    expect(lines).toContain("libbpf: prog 'onGetpid': -- BEGIN PROG LOAD LOG --");
    expect(lines).toContain("; out.set(0, currentTask<task_struct___old>().state); @ rejected.ts:6");
    expect(lines.filter((l) => /^failed to resolve CO-RE relocation <byte_off> \[\d+\] struct task_struct___old\.state /.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe("libbpf: failed to load object 'rejected'");
    // Its -c command, held until the probe is attached, never runs.
    const marker = path.join(RUN_DIR, "rejected-ran");
    const held = bpftscRun([rejected, "-c", `touch ${marker}`]);
    expect(held.status).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });

  it("a probe that does not compile: exit 1 with the diagnostics", () => {
    const bad = writeProbe("bad.ts", `import { tracepoint } from "bpftsc";
export const p = tracepoint("syscalls", "sys_enter_getpid", () => {
  const x = 2.5;
});
`);
    const r = bpftscRun([bad]);
    expect([r.status, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toMatch(/^\S*bad\.ts\(3,13\): error BPF3002: Floating-point numbers are not supported in BPF code\.\n/);
  });

  it("--btf compiles against that BTF (its warnings name it)", () => {
    const r = bpftscRun([path.join(REPO_ROOT, "examples", "count-writes.ts"), "--btf", "/nonexistent/vmlinux"]);
    expect(r.stderr).toContain("warning BPF6002: No kernel BTF (/nonexistent/vmlinux) to check that kernel function 'ksys_write' exists.");
    expect([r.status, r.stdout]).toEqual([1, ""]); // and then the kprobe cannot attach here
  });

  it("bad usage: exit 2 with the reason and the usage text", () => {
    const cases: [string[], string][] = [
      [[], "no probe file"],
      [[probe, "--frobnicate"], "unknown option '--frobnicate'"],
      [["nope.ts"], "cannot read 'nope.ts': no such file"],
      [["probe.js"], "'probe.js' is not a TypeScript file: a probe file's name ends in .ts"],
      [[probe, "-d", "soon"], "-d takes a number of seconds greater than 0, not 'soon'"],
      [[probe, "-i", "0"], "-i takes a number of seconds greater than 0, not '0'"],
      [[probe, "-c", "/nonexistent/cmd --flag"], "-c: no program '/nonexistent/cmd' (not a file, nor in PATH)"],
      [[probe, "-c", " "], "-c needs a command"],
      [[probe, "--set"], "--set needs a value"],
      [[probe, "--set", "scale"], "--set takes NAME=VALUE, not 'scale'"],
      [[probe, probe], `one probe file at a time ('${probe}' and '${probe}')`],
    ];
    for (const [args, message] of cases) {
      const r = bpftscRun(args);
      expect(r.stderr.split("\n")[0], args.join(" ")).toBe(`bpftsc run: ${message}`);
      expect(r.stderr).toContain("Usage: bpftsc run <probe.ts>");
      expect([r.status, r.stdout]).toEqual([2, ""]);
    }
  });

  it("-h prints the usage text", () => {
    const r = bpftscRun(["-h"]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^Usage: bpftsc run <probe\.ts> \[-c <command>\]/);
  });
});
