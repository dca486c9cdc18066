// Perf buffers, stack traces and cgroup arrays through the typed loader, in the real
// kernel (probes/events.ts on a non-PIE build of test/harness/targets/events.c): the
// PerfEventArray's records exactly as the target made them, drained and as they arrive
// (fewer than the kernel's wake-up count: the reader looks on its own); lost records
// counted when a ring is too small; a user stack and a kernel stack by id, symbolized;
// currentTaskUnder(0) true for a process in the cgroup put at index 0 and false outside.

import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { open, Symbolizer, type BpfObject } from "../../loader/index.js";
import { makeCgroup, type TestCgroup } from "../harness/cgroup.js";
import { buildTargetFile, kernelAvailable } from "../harness/harness.js";
import { eventsSteps } from "../harness/targets/expected.js";
import * as fs from "node:fs";
import type * as P from "./probes/events.ts";
import { probeFor } from "./workload.js";

const COUNT = 8;

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
}

const steps = (count: number) => eventsSteps(count).map((s) => ({ ...s, name: "events" }));

describe("a PerfEventArray, a StackTraceMap and a CgroupArray, typed from the probe file", () => {
  let obj: BpfObject<typeof P>;
  let target: string;
  let cgroup: TestCgroup;

  beforeAll(async () => {
    kernelAvailable();
    target = buildTargetFile("events", ["-g", "-O0", "-no-pie"]);
    obj = await open<typeof P>(probeFor(target, "events.ts", "/nonexistent/events"));
    obj.load();
    cgroup = makeCgroup("bpftsc-loader");
    obj.maps.groups.set(0, cgroup.dir);
    obj.attach();
    run([target, String(COUNT)]);
    run([target, String(COUNT)]);
    run(cgroup.inside(target, String(COUNT)));
  });
  afterAll(() => {
    obj?.close();
    cgroup?.remove();
  });

  it("perf-buffer records come in the target's order with every field decoded; none lost", () => {
    expect(obj.maps.steps.drain()).toEqual([...steps(COUNT), ...steps(COUNT), ...steps(COUNT)]);
    expect(obj.maps.steps.drain()).toEqual([]);
    expect(obj.maps.steps.lost).toBe(0);
  });

  it("currentTaskUnder(0): the steps of the process moved into the cgroup, and no others", () => {
    expect([...obj.maps.inGroup.values()]).toEqual([2n * BigInt(COUNT), BigInt(COUNT)]);
  });

  it("a user stack by id: frames up to the first zero, the first the probed function's address, symbolized", () => {
    const id = Number(obj.globals.get("userStackId"));
    const frames = obj.maps.stacks.get(id)!;
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.length).toBeLessThan(obj.maps.stacks.depth);
    expect(frames).not.toContain(0n);
    expect(frames[0]).toBe(new ElfFile(fs.readFileSync(target)).symbolAddress("step")!.value);
    const symbols = new Symbolizer([target]).frames([frames])[0]!.map((f) => f.symbol);
    expect(symbols[0]).toBe("step+0x0");
    expect(symbols[1]).toMatch(/^outer\+0x[0-9a-f]+$/);
    expect(symbols[2]).toMatch(/^main\+0x[0-9a-f]+$/);
  });

  it("a kernel stack by id: kernel addresses, symbolized from /proc/kallsyms along the syscall path", () => {
    const frames = obj.maps.stacks.get(Number(obj.globals.get("kernelStackId")))!;
    expect(frames.every((a) => a >= 0xffff800000000000n)).toBe(true);
    const symbols = new Symbolizer().frames([frames])[0]!.map((f) => f.symbol ?? "?");
    expect(symbols.some((s) => /^do_syscall_64\+0x[0-9a-f]+$/.test(s)), symbols.join(" ")).toBe(true);
    expect(symbols.at(-1)).toMatch(/^entry_SYSCALL_64_after_hwframe\+0x[0-9a-f]+$/);
  });

  it("entries() lists the stored stacks (a user stack per process: libc's place differs); an unused id has none", () => {
    const entries = new Map(obj.maps.stacks.entries());
    const step = new ElfFile(fs.readFileSync(target)).symbolAddress("step")!.value;
    const kernel = Number(obj.globals.get("kernelStackId"));
    expect(entries.get(Number(obj.globals.get("userStackId")))).toEqual(obj.maps.stacks.get(Number(obj.globals.get("userStackId"))));
    expect(entries.get(kernel)).toEqual(obj.maps.stacks.get(kernel));
    const users = [...entries].filter(([id]) => id !== kernel);
    expect(users.length).toBeGreaterThanOrEqual(1); // three processes: one to three stacks
    expect(users.length).toBeLessThanOrEqual(3);
    for (const [, frames] of users) expect(frames[0]).toBe(step);
    const unused = Array.from({ length: 64 }, (_, i) => i).find((i) => !entries.has(i))!;
    expect(obj.maps.stacks.get(unused)).toBeUndefined();
  });

  it("for await reads records as a running target makes them, fewer than a wake-up's worth included", async () => {
    obj.maps.steps.drain();
    const got: unknown[] = [];
    const reading = (async () => {
      for await (const e of obj.maps.steps) {
        got.push(e);
        if (got.length === COUNT) break;
      }
    })();
    const child = spawn(target, [String(COUNT)], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${got.length} records after 10 s`)), 10_000)));
    await Promise.race([Promise.all([reading, exited]), timeout]);
    clearTimeout(timer);
    expect(got).toEqual(steps(COUNT));
  });

  it("set() refuses a directory that is not a cgroup, and a path that does not exist", () => {
    expect(() => obj.maps.groups.set(0, "/tmp")).toThrow("putting cgroup '/tmp' at index 0 of map 'groups' failed: Bad file descriptor (errno 9: not a directory of the cgroup v2 hierarchy");
    expect(() => obj.maps.groups.set(0, "/nonexistent/cgroup")).toThrow("map 'groups': cannot open cgroup '/nonexistent/cgroup': ENOENT");
  });
});

describe("a perf buffer too small for what its probe sends", () => {
  it("counts the records the kernel could not write; with the ones read, they make up every record", async () => {
    kernelAvailable();
    const target = buildTargetFile("events", ["-g", "-O0", "-no-pie"]);
    // One page per CPU: 85 records of 48 bytes (8 of header, 4 of size, 32 of Step, 4 of padding).
    using obj = await open<typeof P>(probeFor(target, "events.ts", "/nonexistent/events"), { perfBufferPages: 1 });
    obj.load().attach();
    run([target, "400"]);
    const first = obj.maps.steps.drain();
    expect(first.length).toBeLessThan(400);
    expect(first).toEqual(steps(first.length));
    // The kernel reports a loss in the ring once there is room again, before the next record.
    run([target, "1"]);
    const next = obj.maps.steps.drain();
    expect(next).toEqual(steps(1));
    expect(obj.maps.steps.lost).toBe(400 - first.length);
  });
});
