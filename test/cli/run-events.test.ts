// `bpftsc run` on perf buffers, stack traces and cgroup arrays, for real
// (test/loader/probes/events.ts on builds of test/harness/targets/events.c): the
// PerfEventArray's records streamed exactly as a RingBuf's, in text and JSON; the
// StackTraceMap printed as bpftrace prints stacks, a uprobe's user stack from the probed
// function (symbolized through the binary's ELF symbols: a non-PIE build at the end of the
// run, a PIE build while its process lives) and a tracepoint's kernel stack through the
// syscall entry; --cgroup DIR filling the CgroupArray (steps of the process moved into
// the cgroup counted apart from the others), and its usage errors.

import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { makeCgroup, type TestCgroup } from "../harness/cgroup.js";
import { buildTargetFile } from "../harness/harness.js";
import { eventsSteps } from "../harness/targets/expected.js";
import { RUN_DIR, bpftscRun, ensureBuilt, writeProbe } from "./run-helper.js";

const COUNT = 8;
const PROBE = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "loader", "probes", "events.ts");
const ATTACHED = "Attached 2 programs (onStep, onGetppid); Ctrl-C ends the run.\n";
const records = (count: number) => eventsSteps(count).map((s) => `{ i: ${s.i}, scaled: ${s.scaled}, name: "events" }\n`).join("");

/** events.ts probing `target`. */
function probeOf(target: string, name: string): string {
  return writeProbe(name, fs.readFileSync(PROBE, "utf8").replace('"/nonexistent/events"', JSON.stringify(target)));
}

/** The stack blocks of a text run's maps: id and frames of each `@stacks[id]:`. */
function stackBlocks(stdout: string): Map<number, string[]> {
  const blocks = new Map<number, string[]>();
  let frames: string[] | undefined;
  for (const line of stdout.split("\n")) {
    const head = /^@stacks\[(\d+)\]:$/.exec(line);
    if (head) blocks.set(Number(head[1]), (frames = []));
    else if (frames && line.startsWith("    ")) frames.push(line.slice(4));
    else frames = undefined;
  }
  return blocks;
}

describe("bpftsc run: perf buffers, stack traces, --cgroup", () => {
  let target: string, probe: string, script: string, cgroup: TestCgroup;
  beforeAll(() => {
    ensureBuilt();
    target = buildTargetFile("events", ["-g", "-O0", "-no-pie"]);
    probe = probeOf(target, "events.ts");
    cgroup = makeCgroup("bpftsc-run");
    // The -c command: the target twice outside the cgroup, then once inside.
    script = path.join(RUN_DIR, "events.sh");
    fs.writeFileSync(script, `#!/bin/sh\n${target} ${COUNT} && ${target} ${COUNT} && exec ${cgroup.inside(target, String(COUNT)).map((a) => `'${a}'`).join(" ")}\n`, { mode: 0o755 });
  });
  afterAll(() => cgroup?.remove());

  it("text: perf-buffer records as they come; stacks a frame per line, symbolized; the cgroup's steps counted apart", () => {
    const r = bpftscRun([probe, "-c", script, "--cgroup", cgroup.dir]);
    expect([r.status, r.stderr]).toEqual([0, ATTACHED]);
    const all = records(COUNT).repeat(3);
    expect(r.stdout.slice(0, all.length + 1)).toBe(`${all}\n`);
    const globals = /\nuserStackId: (\d+)\nkernelStackId: (\d+)\n$/.exec(r.stdout)!;
    expect(globals).not.toBeNull();
    const [user, kernel] = [Number(globals[1]), Number(globals[2])];
    const stacks = stackBlocks(r.stdout);
    // The probed function first, then its callers (the libc frame beyond main is a number).
    expect(stacks.get(user)!.slice(0, 3)).toEqual(["step+0x0", expect.stringMatching(/^outer\+0x[0-9a-f]+$/), expect.stringMatching(/^main\+0x[0-9a-f]+$/)]);
    expect(stacks.get(user)!.slice(3).every((f) => /^0x[0-9a-f]+$/.test(f))).toBe(true);
    const kframes = stacks.get(kernel)!;
    expect(kframes.some((f) => /^do_syscall_64\+0x[0-9a-f]+$/.test(f)), kframes.join("\n")).toBe(true);
    expect(kframes.at(-1)).toMatch(/^entry_SYSCALL_64_after_hwframe\+0x[0-9a-f]+$/);
    // A user stack per process (libc lands elsewhere in each), one kernel stack: nothing else.
    expect(stacks.size).toBeGreaterThanOrEqual(2);
    expect(stacks.size).toBeLessThanOrEqual(4);
    expect(r.stdout).toContain(`\n@inGroup[0]: ${2 * COUNT}\n@inGroup[1]: ${COUNT}\n\n`);
    expect(r.stdout).toMatch(/\n\n(@targets\[\d+\]: 1\n){3}\n/);
  });

  it("--json: records as {event, value}; a stack's frames as addresses with their symbols", () => {
    const r = bpftscRun([probe, "-c", `${target} ${COUNT}`, "--json"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines.slice(0, COUNT)).toEqual(eventsSteps(COUNT).map((s) => ({ event: "steps", value: { i: s.i, scaled: Number(s.scaled), name: "events" } })));
    const global = (name: string) => lines.find((l) => l.global === name).value as number;
    const entries: { key: number; value: { address: number | string; symbol?: string }[] }[] = lines.find((l) => l.map === "stacks").entries;
    expect(entries.map((e) => e.key).sort()).toEqual([global("userStackId"), global("kernelStackId")].sort());
    const user = entries.find((e) => e.key === global("userStackId"))!.value;
    expect(user[0]).toEqual({ address: Number(new ElfFile(fs.readFileSync(target)).symbolAddress("step")!.value), symbol: "step+0x0" });
    expect(user.at(-1)).toEqual({ address: expect.any(Number) }); // in libc: no symbol
    const kernel = entries.find((e) => e.key === global("kernelStackId"))!.value;
    for (const f of kernel) expect(f).toEqual({ address: expect.stringMatching(/^\d{20}$/), symbol: expect.stringMatching(/^\w+\+0x[0-9a-f]+$/) });
    expect(BigInt(kernel[0]!.address) >= 0xffff800000000000n).toBe(true);
    expect(lines.find((l) => l.map === "inGroup").entries).toEqual([{ key: 0, value: COUNT }, { key: 1, value: 0 }]);
  });

  it("a PIE build: its user stacks symbolized while it runs (-i), numbers once it has exited", () => {
    const pie = buildTargetFile("events", ["-g", "-O0", "-fPIE", "-pie"]);
    const r = bpftscRun([probeOf(pie, "events-pie.ts"), "-c", `${pie} ${COUNT} 1500`, "-i", "0.5"]);
    expect(r.status).toBe(0);
    const user = Number(/\nuserStackId: (\d+)\n/.exec(r.stdout)![1]);
    // The first interval's maps start with the stacks; the run's last maps after a blank line.
    const first = r.stdout.split(/^\d\d:\d\d:\d\d\n/m)[1]!;
    const during = stackBlocks(first.slice(0, first.indexOf("\n\n")));
    const after = stackBlocks(r.stdout.slice(r.stdout.lastIndexOf("\n\n@stacks[")));
    expect(during.get(user)?.[0]).toBe("step+0x0");
    expect(during.get(user)?.[1]).toMatch(/^outer\+0x[0-9a-f]+$/);
    expect(after.get(user)?.[0]).toMatch(/^0x[0-9a-f]+$/);
  });

  it("--cgroup: a probe without a CgroupArray, a directory that is no cgroup, a missing one: exit 2", () => {
    const plain = writeProbe("no-cgroups.ts", `import { tracepoint, ArrayMap, type u64 } from "bpftsc";
const n = new ArrayMap<u64>(1);
export const p = tracepoint("syscalls", "sys_enter_getppid", () => { n.add(0, 1); });
`);
    const cases: [string[], string][] = [
      [[plain, "--cgroup", cgroup.dir], `--cgroup ${cgroup.dir}: the probe declares no CgroupArray to put it in`],
      [[probe, "--cgroup", RUN_DIR], `--cgroup ${RUN_DIR}: putting cgroup '${RUN_DIR}' at index 0 of map 'groups' failed: Bad file descriptor (errno 9: not a directory of the cgroup v2 hierarchy (see /proc/mounts for where cgroup2 is mounted))`],
      [[probe, "--cgroup", "/nonexistent/cgroup"], "--cgroup: no directory '/nonexistent/cgroup'"],
    ];
    for (const [args, message] of cases) {
      const r = bpftscRun([...args, "-d", "1"]);
      expect(r.stderr.split("\n")[0], args.join(" ")).toBe(`bpftsc run: ${message}`);
      expect([r.status, r.stdout]).toEqual([2, ""]);
    }
  });
});
