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
    const names = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
    expect(names).toEqual(["count-writes", "latency", "malloc-sizes", "opens", "read-sizes", "syscall-counts"]);
  });

  for (const [name, programs, section, fn] of [
    ["count-writes", ["onWrite"], "kprobe/ksys_write", "ksys_write"],
    ["latency", ["enter", "leave"], "kprobe/vfs_read", "vfs_read"],
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

    const json = jsonLines(bpftscRun([example("malloc-sizes"), "-c", work, "--json"]));
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
