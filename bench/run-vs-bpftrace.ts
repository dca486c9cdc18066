// `bpftsc run` side by side with bpftrace on the same probes and workload, a C program
// that, as fast as it can, calls emit(seq) (probed by a uprobe) or getppid() (probed by
// the syscalls:sys_enter_getppid tracepoint, as bench/ringbuf.ts does); each call offers a
// 64-byte record (bpftsc: a RingBuf<Record64>; bpftrace: a printf of seven 8-byte values)
// and counts itself in a map. For each tool, run as `TOOL ... -c "workload MODE N"` with
// its output read from a pipe (bpftsc started as a user's shell starts it: bin/bpftsc.js
// itself, through its `#!` line):
//   - start-up: from spawning the tool to the workload's first instruction (the -c
//     command starts once every probe is attached); bpftsc's object from its compile
//     cache (warmed by a first run), and compiled each run (--no-cache);
//   - records/s consumed: the records that reached the pipe, over the time from the
//     workload's start to the last record's arrival;
//   - lost: the calls the probe counted minus the records that arrived.
// Median of --runs rounds, each running every tool once, in an order that rotates. A
// benchmark, not a test: it prints, it never fails on a number.
// Needs root, gcc and bpftrace (Debian's bpftrace 0.17).
//
//   npx tsx bench/run-vs-bpftrace.ts [--calls N] [--runs N]   (--calls: the uprobe's; the
//   tracepoint gets 5 times as many)

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BUILD_DIR, REPO_ROOT, buildTarget } from "../test/harness/harness.js";
import { rate } from "./ringbuf.js";

const WORKLOAD = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#define PROBED __attribute__((noinline, noipa, used))
volatile unsigned long sink;
PROBED void emit(unsigned long seq) { sink += seq; }
static unsigned long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000ull + t.tv_nsec; }
int main(int argc, char **argv)
{
	long n = atol(argv[2]);
	fprintf(stderr, "start %llu\\n", now());
	if (argv[1][0] == 'u')
		for (long i = 1; i <= n; i++)
			emit(i);
	else
		for (long i = 1; i <= n; i++)
			syscall(SYS_getppid);
	return 0;
}
`;

/** The uprobe's probe; the tracepoint's is bench/ringbuf-probe.ts. */
const UPROBE = `import { uprobe, RingBuf, ArrayMap, ktimeNs, pid, cpu, comm, type u32, type u64, type Chars } from "bpftsc";
interface Record64 { seq: u64; time: u64; a: u64; b: u64; c: u64; pid: u32; cpu: u32; name: Chars<16> }
export const events = new RingBuf<Record64>(16777216);
export const offered = new ArrayMap<u64>(1);
export const onEmit = uprobe(BINARY, "emit", (seq: u64) => {
  offered.add(0, 1);
  events.output({ seq, time: ktimeNs(), a: seq * 3, b: seq ^ 0xff, c: 7, pid: pid(), cpu: cpu(), name: comm() });
});
`;

/** The bench's own compile cache (cli/compile-cache.ts), not the user's. */
const CACHE_DIR = path.join(BUILD_DIR, "bench-run", "cache");

interface Scenario {
  title: string;
  /** The workload's first argument: "u" calls emit(), "t" getppid(). */
  mode: "u" | "t";
  calls: number;
  /** The bpftsc probe file. */
  probe: string;
  /** The bpftrace probe (its action is the same for both scenarios). */
  bpftrace: string;
}

interface Measured { startupMs: number; rate: number; received: number; lost: number }

interface Tool {
  label: string;
  command(workload: string, calls: number): [string, string[]];
  /** Whether a line of its stdout is a record. */
  isRecord(line: string): boolean;
  /** The calls its probe counted, from its final output. */
  offered(stdout: string): number;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function scenarios(binary: string, calls: number): Scenario[] {
  const dir = path.join(BUILD_DIR, "bench-run");
  fs.mkdirSync(dir, { recursive: true });
  const uprobe = path.join(dir, "uprobe-probe.ts");
  fs.writeFileSync(uprobe, UPROBE.replace("BINARY", JSON.stringify(binary)));
  return [
    { title: "a uprobe on emit()", mode: "u", calls, probe: uprobe, bpftrace: `uprobe:${binary}:emit` },
    { title: "the sys_enter_getppid tracepoint", mode: "t", calls: 5 * calls, probe: path.join(path.dirname(fileURLToPath(import.meta.url)), "ringbuf-probe.ts"), bpftrace: "tracepoint:syscalls:sys_enter_getppid" },
  ];
}

function tools(s: Scenario): Tool[] {
  const bpftsc = (json: boolean, cache = true): Tool => ({
    label: `bpftsc run${json ? " --json" : ""}${cache ? "" : " --no-cache"}`,
    command: (w, n) => [path.join(REPO_ROOT, "bin", "bpftsc.js"), ["run", s.probe, "-c", `${w} ${s.mode} ${n}`, ...(json ? ["--json"] : []), ...(cache ? [] : ["--no-cache"])]],
    isRecord: (l) => (json ? l.startsWith('{"event"') : l.startsWith("{ seq: ")),
    offered: (out) => Number((json ? /"map":"offered","entries":\[\{"key":0,"value":(\d+)/ : /^@offered\[0\]: (\d+)$/m).exec(out)?.[1] ?? NaN),
  });
  const bpftrace: Tool = {
    label: "bpftrace 0.17",
    command: (w, n) => ["bpftrace", ["-e", `${s.bpftrace} { @offered = count(); printf("%lu %lu %lu %lu %lu %d %d\\n", nsecs, nsecs, nsecs * 3, nsecs ^ 255, 7, pid, cpu); }`, "-c", `${w} ${s.mode} ${n}`]],
    isRecord: (l) => /^\d+ \d+ /.test(l),
    offered: (out) => Number(/^@offered: (\d+)$/m.exec(out)?.[1] ?? NaN),
  };
  return [bpftsc(false), bpftsc(true), bpftsc(false, false), bpftrace];
}

/** One run of a tool: spawned, its stdout read line by line as it comes. */
function measure(tool: Tool, workload: string, calls: number): Promise<Measured> {
  const [cmd, args] = tool.command(workload, calls);
  const spawned = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BPFTSC_CACHE_DIR: CACHE_DIR } });
  let stdout = "", stderr = "", pending = "", received = 0, last = spawned;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    let n = 0;
    for (const l of lines) if (tool.isRecord(l)) n++;
    else stdout += `${l}\n`;
    if (n > 0) {
      received += n;
      last = process.hrtime.bigint();
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => child.on("close", (status) => {
    const start = /^start (\d+)$/m.exec(stderr);
    if (status !== 0 || !start) return reject(new Error(`${tool.label} exited ${status}:\n${stderr.slice(0, 2000)}`));
    const started = BigInt(start[1]!);
    resolve({
      startupMs: Number(started - spawned) / 1e6,
      rate: received / (Number(last - started) / 1e9),
      received,
      lost: tool.offered(stdout + pending) - received,
    });
  }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function runVsBpftrace(calls = 200_000, runs = 3): Promise<void> {
  if (spawnSync("bpftrace", ["--version"]).status !== 0) {
    console.log("bpftsc run vs bpftrace: bpftrace is not installed (apt-get install bpftrace); skipped");
    return;
  }
  const workload = buildTarget("emit-work", WORKLOAD, ["-O2", "-g"]);
  console.log(nodeStart());
  for (const s of scenarios(workload, calls)) await compare(s, workload, runs);
}

/** What Node's own start (`node -e 0`, median of 9) takes of bpftsc's here: with
 *  NODE_EXTRA_CA_CERTS set, Node reads and parses that file at every start. */
function nodeStart(): string {
  const time = (env: NodeJS.ProcessEnv): number => median(Array.from({ length: 9 }, () => {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ["-e", "0"], { env });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }));
  const plain = `Node's own start (node -e 0): ${time(process.env).toFixed(0)} ms`;
  if (!process.env.NODE_EXTRA_CA_CERTS) return plain;
  const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env;
  return `${plain} with NODE_EXTRA_CA_CERTS set, as here (Node parses that file at every start), ${time(without).toFixed(0)} ms without (the bpftsc command starts its Node without it)`;
}

async function compare(s: Scenario, workload: string, runs: number): Promise<void> {
  const calls = s.calls;
  const rows: string[][] = [["tool", "start-up ms", "records/s consumed", "received", "lost"]];
  const startup = new Map<string, number>();
  const all = tools(s);
  await measure(all[0]!, workload, 1); // warm the V8 code cache, the compile cache and the page cache
  const results = new Map<Tool, Measured[]>(all.map((t) => [t, []]));
  // The order rotates from round to round, so that no tool always starts right after the
  // same one: what a run leaves behind (its teardown in the kernel, this process's
  // garbage from its output) can cost the next start-up tens of ms on a busy machine.
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < all.length; i++) {
      const t = all[(r + i) % all.length]!;
      results.get(t)!.push(await measure(t, workload, calls));
    }
  }
  for (const [t, ms] of results) {
    const m = { startupMs: median(ms.map((x) => x.startupMs)), rate: median(ms.map((x) => x.rate)), received: median(ms.map((x) => x.received)), lost: Math.max(...ms.map((x) => x.lost)) };
    startup.set(t.label, m.startupMs);
    rows.push([t.label, m.startupMs.toFixed(0), rate(m.rate), m.received.toLocaleString("en-US"), String(m.lost)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\nbpftsc run vs bpftrace: ${s.title}, a C workload making ${calls.toLocaleString("en-US")} calls, a 64-byte record each, read from a pipe (median of ${runs}; lost: the worst run)`);
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
  const ours = startup.get("bpftsc run")!, compiling = startup.get("bpftsc run --no-cache")!, theirs = startup.get("bpftrace 0.17")!;
  console.log(`start-up: bpftsc run ${(ours / theirs).toFixed(2)}x bpftrace's with its object cached, ${(compiling / theirs).toFixed(2)}x compiling it (goal: no slower).`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runVsBpftrace(option("--calls", 200_000), option("--runs", 3));
