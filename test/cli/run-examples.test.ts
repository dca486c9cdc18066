// Every example under `bpftsc run -c WORKLOAD`, in text and in --json, its output checked.
// Uprobes and tracepoints fire for every process on the machine, so the checks pick the
// workload's own records (by its comm) and bound system-wide counts from below.
// The kprobe examples cannot attach on this kernel (no CONFIG_KPROBES): the run fails
// with the loader's clear reason, exit 1, before the -c command would start, and leaves
// no link behind. (They run for real in the tests on other kernels.)

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, buildTarget } from "../harness/harness.js";
import { RUN_DIR, bpftscRun, ensureBuilt, type Ran } from "./run-helper.js";

const EXAMPLES = path.join(REPO_ROOT, "examples");
const example = (name: string): string => path.join(EXAMPLES, `${name}.ts`);

const MALLOC_WORK = `#include <stdlib.h>
static const unsigned long SIZES[] = { 100, 4096, 5000, 65536, 1048576, 4095 };
int main(void)
{
	for (unsigned k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++)
		free(malloc(SIZES[k]));
	return 0;
}
`;
const OPENS_WORK = `#include <fcntl.h>
int main(void)
{
	open("/nonexistent/bpftsc-run-a", O_RDONLY);
	open("/nonexistent/bpftsc-run-b", O_WRONLY | O_CREAT, 0600);
	return 0;
}
`;
const GETPPID_WORK = `#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
	for (int i = 0; i < 2000; i++)
		syscall(SYS_getppid);
	return 0;
}
`;
const SYS_GETPPID = 110; // x86-64
const READS_WORK = `#include <fcntl.h>
#include <unistd.h>
static char buf[8192];
int main(void)
{
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_RDONLY);
	for (int i = 0; i < 3; i++)
		read(zero, buf, 1);
	read(zero, buf, 100);
	read(zero, buf, 100);
	read(zero, buf, 5000);
	read(null, buf, 10);
	read(-1, buf, 10);
	return 0;
}
`;

// The ports of libbpf-tools (examples/<tool>.ts): workloads whose calls the tests know.
const OPENSNOOP_WORK = `#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
int main(int argc, char **argv)
{
	open("/nonexistent/opensnoop-a", O_RDONLY);
	openat(AT_FDCWD, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0640);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	syscall(SYS_openat2, AT_FDCWD, argv[1], &how, sizeof how);
	syscall(SYS_open, "/nonexistent/opensnoop-c", O_RDONLY);
	return 0;
}
`;
const EXECSNOOP_WORK = `#include <unistd.h>
int main(void)
{
	char *argv[] = { "/nonexistent/execsnoop-x", "one", "two", "three", 0 };
	execv(argv[0], argv);
	return 0;
}
`;
const SYSCOUNT_WORK = `#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
	for (int i = 0; i < 1234; i++)
		close(-1);
	for (int i = 0; i < 2000; i++)
		syscall(SYS_getpid);
	return 0;
}
`;
const SYS_GETPID = 39; // x86-64
const RUNQLAT_WORK = `#include <stdio.h>
#include <unistd.h>
int main(void)
{
	printf("pid=%d\\n", getpid());
	fflush(stdout);
	for (int i = 0; i < 50; i++)
		usleep(2000);
	return 0;
}
`;
const FUNCLATENCY_WORK = `#include <unistd.h>
int main(void)
{
	for (int i = 0; i < 4; i++)
		usleep(17000);
	for (int i = 0; i < 3; i++)
		usleep(35000);
	return 0;
}
`;
const MEMLEAK_WORK = `#include <stdlib.h>
__attribute__((noinline)) void *leak_here(size_t n) { return malloc(n); }
int main(void)
{
	void *keep[4];
	keep[0] = leak_here(77001);
	keep[1] = calloc(7, 11003);
	free(malloc(77002));
	keep[2] = realloc(malloc(77003), 77004);
	posix_memalign(&keep[3], 64, 77005);
	free(leak_here(77006));
	return keep[0] == 0;
}
`;
const SIGSNOOP_WORK = `#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	kill(getpid(), SIGUSR1);
	kill(999999999, SIGUSR2);
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
	return 0;
}
`;
const EXITSNOOP_WORK = `#include <signal.h>
int main(int argc, char **argv)
{
	if (argc > 1)
		raise(SIGUSR1);
	return 7;
}
`;

/** Text records (`{ ... }` lines) of a run. */
function textRecords(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("{ "));
}

/** `@name[key]: value` lines of one map, as [key, value]. */
function mapLines(stdout: string, name: string): [string, string][] {
  return stdout.split("\n").flatMap((l) => {
    const m = new RegExp(`^@${name}\\[(.*?)\\]: (.*)$`).exec(l);
    return m ? [[m[1]!, m[2]!] as [string, string]] : [];
  });
}

/** One map's entries of a --json run. */
function jsonMap(r: Ran, name: string): { key: unknown; value: any }[] {
  const m = jsonLines(r).find((l) => l.map === name);
  expect(m, `no map ${name}`).toBeDefined();
  return m!.entries as unknown as { key: unknown; value: any }[];
}

/** A symbol's [start, end) in an ELF file (nm -S). */
function symbolRange(binary: string, symbol: string): [bigint, bigint] {
  const line = spawnSync("nm", ["-S", binary], { encoding: "utf8" }).stdout.split("\n").find((l) => l.endsWith(` ${symbol}`));
  expect(line, symbol).toBeDefined();
  const [start, size] = line!.split(" ");
  return [BigInt(`0x${start}`), BigInt(`0x${start}`) + BigInt(`0x${size}`)];
}

/** The text records of one process, by its comm: each `{ pid: P, ...rest }` line. */
function recordsOf(stdout: string, comm: string): string[] {
  return stdout.split("\n").filter((l) => l.includes(`comm: "${comm}"`));
}

function jsonLines(r: Ran): { event?: string; map?: string; value?: Record<string, unknown>; entries?: { key: number; value: number[] }[] }[] {
  return r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
}

/** Links of programs with these names (other tests load programs, none attaches kprobes). */
function linksOf(names: string[]): unknown[] {
  const progs = JSON.parse(spawnSync("bpftool", ["prog", "show", "--json"], { encoding: "utf8" }).stdout) as { id: number; name?: string }[];
  const links = JSON.parse(spawnSync("bpftool", ["link", "list", "--json"], { encoding: "utf8" }).stdout || "[]") as { prog_id: number }[];
  return links.filter((l) => names.includes(progs.find((p) => p.id === l.prog_id)?.name ?? ""));
}

describe("every example under bpftsc run", () => {
  beforeAll(ensureBuilt);

  it("each example has a run check here", () => {
    const names = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => f.slice(0, -3)).sort();
    expect(names).toEqual([
      "bashreadline", "count-writes", "execsnoop", "exitsnoop", "funclatency", "latency", "malloc-sizes", "memleak",
      "opens", "opensnoop", "read-sizes", "runqlat", "sigsnoop", "syscall-counts", "syscount", "tcpconnect", "vfsstat",
    ]);
  });

  for (const [name, programs, section, fn] of [
    ["count-writes", ["onWrite"], "kprobe/ksys_write", "ksys_write"],
    ["latency", ["enter", "leave"], "kprobe/vfs_read", "vfs_read"],
    ["tcpconnect", ["tcp_v4_connect", "tcp_v4_connect_ret", "tcp_v6_connect", "tcp_v6_connect_ret"], "kprobe/tcp_v4_connect", "tcp_v4_connect"],
    ["vfsstat", ["kprobe_vfs_read", "kprobe_vfs_write", "kprobe_vfs_fsync", "kprobe_vfs_open", "kprobe_vfs_create", "kprobe_vfs_unlink", "kprobe_vfs_mkdir", "kprobe_vfs_rmdir"], "kprobe/vfs_read", "vfs_read"],
  ] as const) {
    it(`${name}: a kprobe cannot attach here: the reason, exit 1, the command never started, no link left`, () => {
      const marker = path.join(RUN_DIR, `${name}.started`);
      fs.mkdirSync(RUN_DIR, { recursive: true });
      fs.rmSync(marker, { force: true });
      const r = bpftscRun([example(name), "-c", `touch ${marker}`]);
      expect([r.status, r.stdout]).toEqual([1, ""]);
      expect(r.stderr.split("\n")[0]).toBe(`bpftsc run: attaching program '${programs[0]}' (${section}) failed: No such file or directory (errno 2: this kernel cannot attach kprobes (no kprobe event source: CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is off))`);
      expect(r.stderr).toContain(`libbpf: prog '${programs[0]}': failed to create kprobe '${fn}+0x0' perf event: No such file or directory`);
      expect(fs.existsSync(marker)).toBe(false);
      expect(linksOf([...programs])).toEqual([]);
    });
  }

  it("malloc-sizes: a record per malloc of 4096 bytes or more, as it happens", () => {
    const work = buildTarget("malloc-work", MALLOC_WORK);
    const text = bpftscRun([example("malloc-sizes"), "-c", work]);
    expect(text.status).toBe(0);
    const mine = recordsOf(text.stdout, "malloc-work");
    const pid = /^\{ pid: (\d+),/.exec(mine[0] ?? "")?.[1];
    expect(mine).toEqual([4096, 5000, 65536, 1048576].map((size) => `{ pid: ${pid}, size: ${size}, comm: "malloc-work" }`));
    expect(text.stdout.endsWith("}\n\n")).toBe(true); // no maps or globals but the ring buffer

    const run = bpftscRun([example("malloc-sizes"), "-c", work, "--json"]);
    expect(run.status).toBe(0);
    const json = jsonLines(run);
    const records = json.filter((l) => l.event === "allocs" && l.value?.comm === "malloc-work").map((l) => l.value!);
    expect(records).toEqual([4096, 5000, 65536, 1048576].map((size) => ({ pid: records[0]!.pid, size, comm: "malloc-work" })));
    expect(json.every((l) => l.event === "allocs")).toBe(true);
  });

  it("opens: each openat of the workload with its flags and file name", () => {
    const work = buildTarget("opens-work", OPENS_WORK, ["-static", "-O0"]);
    const text = bpftscRun([example("opens"), "-c", work]);
    expect(text.status).toBe(0);
    const mine = recordsOf(text.stdout, "opens-work");
    const pid = /^\{ pid: (\d+),/.exec(mine[0] ?? "")?.[1];
    expect(mine).toEqual([
      `{ pid: ${pid}, flags: 0, comm: "opens-work", filename: "/nonexistent/bpftsc-run-a" }`,
      `{ pid: ${pid}, flags: 65, comm: "opens-work", filename: "/nonexistent/bpftsc-run-b" }`,
    ]);

    const json = jsonLines(bpftscRun([example("opens"), "-c", work, "--json"]));
    const records = json.filter((l) => l.value?.comm === "opens-work").map((l) => l.value!);
    expect(records).toEqual([
      { pid: records[0]!.pid, flags: 0, comm: "opens-work", filename: "/nonexistent/bpftsc-run-a" },
      { pid: records[0]!.pid, flags: 65, comm: "opens-work", filename: "/nonexistent/bpftsc-run-b" },
    ]);
  });

  it("read-sizes: the Log2Hist drawn as bpftrace draws hist(), its slots in JSON", () => {
    const work = buildTarget("reads-work", READS_WORK, ["-static", "-O0"]);
    const text = bpftscRun([example("read-sizes"), "-c", work]);
    expect(text.status).toBe(0);
    const [blank, header, ...rows] = text.stdout.split("\n");
    expect([blank, header, rows.at(-1), rows.at(-2)]).toEqual(["", "@bytes: ", "", ""]);
    const counts = new Map(rows.slice(0, -2).map((row) => {
      const m = /^(\S.{15})( {0,7}\d+) \|([@ ]{52})\|$/.exec(row);
      expect(m, row).not.toBeNull();
      return [m![1]!.trimEnd(), Number(m![2])];
    }));
    // At least the workload's reads (other processes read too): an error, 0, 1 x3, 100 x2, 5000.
    for (const [bucket, n] of [["(..., 0)", 1], ["[0]", 1], ["[1]", 3], ["[64, 128)", 2], ["[4K, 8K)", 1]] as const) expect(counts.get(bucket), bucket).toBeGreaterThanOrEqual(n);

    const json = jsonLines(bpftscRun([example("read-sizes"), "-c", work, "--json"]));
    expect(json.map((l) => l.map)).toEqual(["bytes"]);
    const slots = json[0]!.entries! as unknown as { key: number; value: number }[];
    expect(slots.map((e) => e.key)).toEqual(Array.from({ length: 66 }, (_, i) => i));
    for (const [slot, n] of [[0, 1], [1, 1], [2, 3], [8, 2], [14, 1]]) expect(slots[slot!]!.value).toBeGreaterThanOrEqual(n!);
  });

  it("syscall-counts: the per-CPU counts summed in text, one per CPU in JSON", () => {
    const work = buildTarget("getppid-work", GETPPID_WORK, ["-static", "-O0"]);
    const text = bpftscRun([example("syscall-counts"), "-c", work]);
    expect(text.status).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toBe("");
    const counts = lines.slice(1, -2).map((l) => /^@counts\[(\d+)\]: (\d+)$/.exec(l)).map((m) => [Number(m![1]), Number(m![2])]);
    expect(lines.slice(-2)).toEqual(["", ""]);
    expect(counts.map(([k]) => k)).toEqual([...counts.map(([k]) => k!)].sort((a, b) => a - b)); // by index
    expect(counts.every(([, n]) => n! > 0)).toBe(true); // zero slots left out
    expect(new Map(counts as [number, number][]).get(SYS_GETPPID)).toBeGreaterThanOrEqual(2000);

    const json = jsonLines(bpftscRun([example("syscall-counts"), "-c", work, "--json"]));
    expect(json.length).toBe(1);
    const entries = json[0]!.entries!;
    expect(json[0]!.map).toBe("counts");
    expect(entries.map((e) => e.key)).toEqual(Array.from({ length: 512 }, (_, i) => i));
    const cpus = entries[0]!.value.length;
    expect(cpus).toBeGreaterThanOrEqual(1);
    expect(entries.every((e) => e.value.length === cpus)).toBe(true);
    expect(entries[SYS_GETPPID]!.value.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(2000);
  });
});

describe("the ports of libbpf-tools under bpftsc run", () => {
  beforeAll(() => {
    ensureBuilt();
    fs.mkdirSync(RUN_DIR, { recursive: true }); // bpftscRun's working directory
  });

  it("opensnoop: open, openat and openat2 of the workload with flags, mode and return value; targ_failed keeps the failures", () => {
    const work = buildTarget("opensnoop-work", OPENSNOOP_WORK, ["-static", "-O0"]);
    fs.mkdirSync(RUN_DIR, { recursive: true });
    const file = path.join(RUN_DIR, "opensnoop-b");
    const rest = (l: string) => l.replace(/^\{ pid: \d+, uid: 0, /, "").replace(/callers: \[\d+, \d+\], /, "");
    const text = bpftscRun([example("opensnoop"), "-c", `${work} ${file}`, "--set", "targ_tgid=cpid"]);
    expect(text.status).toBe(0);
    const mine = textRecords(text.stdout).filter((l) => l.includes(`comm: "opensnoop-work"`));
    expect(new Set(mine.map((l) => /^\{ pid: (\d+), uid: 0, /.exec(l)?.[1])).size).toBe(1);
    expect(mine.map(rest)).toEqual([
      `ret: -2, flags: 0, mode: 0, comm: "opensnoop-work", fname: "/nonexistent/opensnoop-a" }`,
      `ret: 3, flags: 577, mode: 416, comm: "opensnoop-work", fname: "${file}" }`, // O_WRONLY|O_CREAT|O_TRUNC, 0640
      `ret: 4, flags: 524288, mode: 0, comm: "opensnoop-work", fname: "${file}" }`, // openat2: O_CLOEXEC
      `ret: -2, flags: 0, mode: 0, comm: "opensnoop-work", fname: "/nonexistent/opensnoop-c" }`,
    ]);

    const json = jsonLines(bpftscRun([example("opensnoop"), "-c", `${work} ${file}`, "--json", "--set", "targ_failed=true"]));
    const records = json.filter((l) => l.event === "events" && l.value?.comm === "opensnoop-work").map((l) => l.value!);
    expect(records.map(({ callers, ...r }) => r)).toEqual(["/nonexistent/opensnoop-a", "/nonexistent/opensnoop-c"].map((fname) => (
      { pid: records[0]!.pid, uid: 0, ret: -2, flags: 0, mode: 0, comm: "opensnoop-work", fname })));
    // The user stack after the syscall's own address: a return address in the workload.
    expect(records.every((r) => (r.callers as number[]).length === 2 && (r.callers as number[])[0]! > 0)).toBe(true);
    expect(json.filter((l) => l.event === "events").every((l) => (l.value!.ret as number) < 0)).toBe(true);
  });

  it("execsnoop: the argv of an execve, max_args, and a failed exec with ignore_failed off", () => {
    const text = bpftscRun([example("execsnoop"), "-c", "/bin/true execsnoop-one two"]);
    expect(text.status).toBe(0);
    const empty = (n: number) => Array.from({ length: n }, () => `""`).join(", ");
    const mine = textRecords(text.stdout).filter((l) => l.includes(`"execsnoop-one"`));
    expect(mine.map((l) => l.replace(/^\{ pid: \d+, ppid: \d+, /, ""))).toEqual([
      `uid: 0, retval: 0, args_count: 3, comm: "true", args: ["/bin/true", "execsnoop-one", "two", ${empty(57)}] }`,
    ]);

    const two = textRecords(bpftscRun([example("execsnoop"), "-c", "/bin/true execsnoop-one two", "--set", "max_args=2"]).stdout)
      .filter((l) => l.includes(`"execsnoop-one"`));
    // Two arguments read, one more counted (argv[max_args]), as the original counts it.
    expect(two.map((l) => l.replace(/^\{ pid: \d+, ppid: \d+, /, ""))).toEqual([
      `uid: 0, retval: 0, args_count: 3, comm: "true", args: ["/bin/true", "execsnoop-one", ${empty(58)}] }`,
    ]);

    const work = buildTarget("execsnoop-work", EXECSNOOP_WORK, ["-static", "-O0"]);
    const json = jsonLines(bpftscRun([example("execsnoop"), "-c", work, "--json", "--set", "ignore_failed=false"]));
    const events = json.filter((l) => l.event === "events").map((l) => l.value!);
    const started = events.find((e) => (e.args as string[])[0] === work)!;
    const failed = events.filter((e) => (e.args as string[])[0] === "/nonexistent/execsnoop-x");
    expect(started).toMatchObject({ uid: 0, retval: 0, args_count: 1, comm: "execsnoop-work" });
    expect(failed).toEqual([{
      pid: started.pid, ppid: started.ppid, uid: 0, retval: -2, args_count: 4, comm: "execsnoop-work",
      args: ["/nonexistent/execsnoop-x", "one", "two", "three", ...Array(56).fill("")],
    }]);
    expect(started.ppid).toBeGreaterThan(1);
  });

  it("syscount: per process with an errno filter, exactly the workload's failed close() calls; per syscall, its getpid() calls", () => {
    const work = buildTarget("syscount-work", SYSCOUNT_WORK, ["-static", "-O0"]);
    const text = bpftscRun([example("syscount"), "-c", work, "--set", "count_by_process=true", "--set", "filter_errno=9"]);
    expect(text.status).toBe(0);
    const data = mapLines(text.stdout, "data").filter(([, v]) => v.includes(`comm: "syscount-work"`));
    expect(data.map(([, v]) => v)).toEqual([`{ count: 1234, total_ns: 0, comm: "syscount-work" }`]); // EBADF

    const json = jsonLines(bpftscRun([example("syscount"), "-c", work, "--json", "--set", "count_by_process=true", "--set", "filter_errno=9", "--set", "measure_latency=true"]));
    const mine = (json.find((l) => l.map === "data")!.entries as unknown as { key: number; value: { count: number; total_ns: number; comm: string } }[])
      .filter((e) => e.value.comm === "syscount-work");
    expect(mine.map((e) => e.value.count)).toEqual([1234]);
    expect(mine[0]!.value.total_ns).toBeGreaterThan(0);

    const bySyscall = bpftscRun([example("syscount"), "-c", work, "--json"]);
    const getpid = jsonMap(bySyscall, "data").find((e) => e.key === SYS_GETPID);
    expect(getpid?.value.count).toBeGreaterThanOrEqual(2000);
    expect(getpid?.value.comm).toBe(""); // per syscall: no process name
  });

  it("runqlat: per thread, at least one run-queue wait per wakeup of the workload; the machine-wide Log2Hist otherwise", () => {
    const work = buildTarget("runqlat-work", RUNQLAT_WORK, ["-static", "-O0"]);
    const r = bpftscRun([example("runqlat"), "-c", work, "--json", "--set", "targ_per_thread=true"]);
    expect(r.status).toBe(0);
    const pid = Number(/pid=(\d+)/.exec(r.stdout)?.[1]);
    const lines = r.stdout.trimEnd().split("\n").filter((l) => l.startsWith("{"));
    const hists = (JSON.parse(lines.find((l) => l.startsWith(`{"map":"hists"`))!) as { entries: { key: number; value: { slots: number[]; comm: string } }[] }).entries;
    const mine = hists.find((e) => e.key === pid);
    expect(mine, `no histogram for pid ${pid}`).toBeDefined();
    expect(mine!.value.slots).toHaveLength(26);
    // 50 sleeps, each ending in a wakeup and a wait to run, and the first run after fork.
    expect(mine!.value.slots.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(51);
    const latency = (JSON.parse(lines.find((l) => l.startsWith(`{"map":"latency"`))!) as { entries: { value: number }[] }).entries;
    expect(latency.every((e) => e.value === 0)).toBe(true); // per thread: the machine-wide histogram stays empty

    const all = bpftscRun([example("runqlat"), "-c", work]);
    expect(all.stdout).toMatch(/\n@latency: \n\[/);
    expect(mapLines(all.stdout, "hists")).toEqual([]);
  });

  it("funclatency: usleep()'s latency in microseconds and milliseconds, each call in its log2 slot", () => {
    const work = buildTarget("funclatency-work", FUNCLATENCY_WORK, ["-O0"]);
    // A sleep never ends early but may end late on a loaded machine: each call is counted
    // in its slot or a later one (oversleeping moves it up), never below, and all 7 are.
    const expectSlots = (hist: number[], lowest: Record<number, number>) => {
      expect(hist).toHaveLength(25);
      const from = (k: number) => hist.slice(k).reduce((a, b) => a + b, 0);
      const wanted = Object.entries(lowest).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0]);
      expect(from(0)).toBe(7);
      expect(from(wanted[0]![0])).toBe(7);
      for (const [k] of wanted) expect(from(k), `calls in slot ${k} and above: ${hist}`).toBeGreaterThanOrEqual(wanted.filter(([j]) => j >= k).reduce((a, [, n]) => a + n, 0));
      expect(from(wanted.at(-1)![0] + 3), `calls 8x longer than asked: ${hist}`).toBe(0);
    };
    const us = bpftscRun([example("funclatency"), "-c", work, "--set", "units=1", "--set", "targ_tgid=cpid"]);
    expect(us.status).toBe(0);
    // 4 x 17 ms from [16384, 32768) us on, 3 x 35 ms from [32768, 65536) us on.
    const line = us.stdout.split("\n").filter((l) => l.startsWith("hist: "));
    expect(line).toHaveLength(1);
    expectSlots(JSON.parse(line[0]!.slice("hist: ".length)) as number[], { 14: 4, 15: 3 });

    const ms = jsonLines(bpftscRun([example("funclatency"), "-c", work, "--set", "units=2", "--set", "targ_tgid=cpid", "--json"]));
    expectSlots((ms.find((l) => (l as { global?: string }).global === "hist") as unknown as { value: number[] }).value, { 4: 4, 5: 3 });
  });

  it("memleak: the workload's outstanding allocations by size, their stacks, and combined totals", () => {
    const work = buildTarget("memleak-work", MEMLEAK_WORK, ["-O0", "-fno-omit-frame-pointer", "-no-pie"]);
    const sizes = ["--set", "min_size=77000", "--set", "max_size=77100"];
    const r = bpftscRun([example("memleak"), "-c", work, "--json", ...sizes]);
    expect(r.status).toBe(0);
    const allocs = jsonMap(r, "allocs") as { key: number; value: { size: number; stack_id: number } }[];
    // Left: malloc 77001 (in leak_here), calloc 7 x 11003, realloc's 77004, posix_memalign's 77005.
    expect(allocs.map((a) => a.value.size).sort()).toEqual([77001, 77004, 77005, 77021]);
    const leak = allocs.find((a) => a.value.size === 77001)!;
    // The stack by its id, frames symbolized from the probed binary (the workload's own
    // functions by its ELF symbols).
    const stack = jsonMap(r, "stack_traces").find((e) => e.key === leak.value.stack_id);
    expect(stack, `no stack ${leak.value.stack_id}`).toBeDefined();
    const frames = stack!.value as { address: number; symbol?: string }[];
    // At malloc's return: in leak_here, then in main.
    const [lo, hi] = symbolRange(work, "leak_here");
    const [mlo, mhi] = symbolRange(work, "main");
    const ip = BigInt(frames[0]!.address), caller = BigInt(frames[1]!.address);
    expect(ip >= lo && ip < hi, `0x${ip.toString(16)} in leak_here`).toBe(true);
    expect(caller >= mlo && caller < mhi, `0x${caller.toString(16)} in main`).toBe(true);
    expect([frames[0]!.symbol, frames[1]!.symbol]).toEqual([`leak_here+0x${(ip - lo).toString(16)}`, `main+0x${(caller - mlo).toString(16)}`]);

    const combined = bpftscRun([example("memleak"), "-c", work, "--json", ...sizes, "--set", "combined_only=true"]);
    const totals = (jsonMap(combined, "combined_allocs") as { value: { counts: { total_size: number; number_of_allocs: number } } }[])
      .map((e) => e.value.counts).filter((c) => c.number_of_allocs > 0);
    expect(totals.map((c) => [c.total_size, c.number_of_allocs]).sort()).toEqual([[77001, 1], [77004, 1], [77005, 1], [77021, 1]]);
  });

  it("bashreadline: the lines an interactive bash reads through a pty", () => {
    fs.mkdirSync(RUN_DIR, { recursive: true });
    const feed = path.join(RUN_DIR, "bashreadline-feed.sh");
    fs.writeFileSync(feed, `#!/bin/sh
# Types two lines into an interactive bash (readline reads them from a pty that script(1) opens).
(sleep 0.5; printf 'echo bpftsc-readline-test\\n'; sleep 0.3; printf 'exit 0\\n') | script -qfec "/bin/bash --norc --noprofile -i" /dev/null >/dev/null
`, { mode: 0o755 });
    const r = bpftscRun([example("bashreadline"), "-c", feed]);
    expect(r.status).toBe(0);
    const lines = textRecords(r.stdout);
    const pid = /^\{ pid: (\d+),/.exec(lines[0] ?? "")?.[1];
    expect(lines).toEqual([`{ pid: ${pid}, str: "echo bpftsc-readline-test" }`, `{ pid: ${pid}, str: "exit 0" }`]);
  });

  it("sigsnoop: signals generated by the workload, and with kill_only its kill() and tgkill() calls with their results", () => {
    const work = buildTarget("sigsnoop-work", SIGSNOOP_WORK, ["-static", "-O0"]);
    const mine = (args: string[]) => {
      const r = bpftscRun([example("sigsnoop"), "-c", work, ...args]);
      expect(r.status).toBe(0);
      const lines = textRecords(r.stdout).filter((l) => l.includes(`comm: "sigsnoop-work"`));
      const pid = /^\{ pid: (\d+),/.exec(lines[0] ?? "")?.[1];
      return lines.map((l) => l.replace(`pid: ${pid}, `, "").replaceAll(`tpid: ${pid},`, "tpid: self,"));
    };
    // signal_generate: SIGUSR1 and SIGUSR2 to itself (kill() of no such process generates
    // none), then SIGCHLD to its parent as it exits.
    const generated = mine([]);
    expect(generated.slice(0, 2)).toEqual([
      `{ tpid: self, sig: 10, ret: 0, comm: "sigsnoop-work", tcomm: "N/A" }`,
      `{ tpid: self, sig: 12, ret: 0, comm: "sigsnoop-work", tcomm: "N/A" }`,
    ]);
    expect(generated.slice(2).map((l) => l.replace(/tpid: \d+/, "tpid: parent"))).toEqual([`{ tpid: parent, sig: 17, ret: 0, comm: "sigsnoop-work", tcomm: "N/A" }`]);
    expect(mine(["--set", "kill_only=true"])).toEqual([
      `{ tpid: self, sig: 10, ret: 0, comm: "sigsnoop-work", tcomm: "N/A" }`,
      `{ tpid: 999999999, sig: 12, ret: -3, comm: "sigsnoop-work", tcomm: "N/A" }`, // ESRCH
      `{ tpid: self, sig: 12, ret: 0, comm: "sigsnoop-work", tcomm: "N/A" }`, // tgkill: the thread
    ]);
    expect(mine(["--set", "kill_only=true", "--set", "failed_only=true", "--set", "target_signals=0x800"])).toEqual([
      `{ tpid: 999999999, sig: 12, ret: -3, comm: "sigsnoop-work", tcomm: "N/A" }`,
    ]);
  });

  it("exitsnoop: the workload's exit code, and the signal that ended it", () => {
    const work = buildTarget("exitsnoop-work", EXITSNOOP_WORK, ["-static", "-O0"]);
    const exits = (args: string[]) => jsonLines(bpftscRun([example("exitsnoop"), "-c", work, "--json", ...args]))
      .filter((l) => l.event === "events" && l.value?.comm === "exitsnoop-work").map((l) => l.value!);
    const [code] = exits([]);
    expect(code).toMatchObject({ sig: 0, exit_code: 7 });
    expect([code!.pid === code!.tid, (code!.ppid as number) > 1, (code!.start_time as number) < (code!.exit_time as number)]).toEqual([true, true, true]);
    const signalled = bpftscRun([example("exitsnoop"), "-c", `${work} raise`, "--set", "trace_failed_only=true"]);
    const mine = textRecords(signalled.stdout).filter((l) => l.includes(`comm: "exitsnoop-work"`));
    expect(mine.map((l) => l.replace(/^\{ start_time: \d+, exit_time: \d+, pid: (\d+), tid: \1, ppid: \d+, /, ""))).toEqual([
      `sig: 10, exit_code: 0, comm: "exitsnoop-work" }`, // SIGUSR1
    ]);
  });
});
