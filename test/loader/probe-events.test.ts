// Perf events opened ahead of attach() (loader/probe-events.ts, BpfObject's openEvents()
// and its openEvents option): a uprobe's function's file offset agrees with the one the
// program headers give; what is left to libbpf (a kprobe, a relative path, an unknown
// function or tracepoint) opens nothing; and in the real kernel a uprobe, a uretprobe
// and a tracepoint attach to the events opened ahead (no other perf event is opened),
// fire, and leave no fd behind when the object closes before attaching or attaches
// elsewhere.

import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ElfFile, PT_LOAD } from "../../compiler/debuginfo/elf-read.js";
import { BpfMap, open } from "../../loader/index.js";
import { funcOffset, openProbeEvent } from "../../loader/probe-events.js";
import { BUILD_DIR, kernelAvailable } from "../harness/harness.js";
import { buildWorkload, probeFor, runWorkload } from "./workload.js";

/** The file offset of a function through the PT_LOAD segment holding its address. */
function segmentOffset(binary: string, func: string): bigint {
  const elf = new ElfFile(readFileSync(binary));
  const sym = elf.symbolAddress(func)!;
  const seg = elf.segments.find((p) => p.type === PT_LOAD && sym.value >= p.vaddr && sym.value < p.vaddr + p.filesz)!;
  return sym.value - seg.vaddr + BigInt(seg.offset);
}

/** The C library this process runs with. */
function libc(): string {
  return /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync("/proc/self/maps", "utf8"))![1]!;
}

/** How many perf event fds this process has open. */
function perfFds(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === "anon_inode:[perf_event]";
    } catch {
      return false; // the directory's own fd, gone
    }
  }).length;
}

const BOTH = `import { uprobe, uretprobe, ArrayMap, type u64 } from "bpftsc";
export const hits = new ArrayMap<u64>(2);
export const onEntry = uprobe("BINARY", "record", () => { hits.add(0, 1); });
export const onReturn = uretprobe("BINARY", "record", () => { hits.add(1, 1); });
`;

const TRACEPOINT = `import { tracepoint, ArrayMap, type u64 } from "bpftsc";
export const calls = new ArrayMap<u64>(1);
export const onGetppid = tracepoint("syscalls", "sys_enter_getppid", () => { calls.add(0, 1); });
`;

describe("perf events opened ahead", () => {
  it("finds a function's file offset as the program headers place it", () => {
    const workload = buildWorkload();
    expect(funcOffset(workload, "record")).toBe(segmentOffset(workload, "record"));
    expect(funcOffset(libc(), "malloc")).toBe(segmentOffset(libc(), "malloc"));
  });

  it("opens nothing where libbpf is left to attach", () => {
    const workload = buildWorkload();
    expect(funcOffset(workload, "no_such_function")).toBeUndefined();
    const notElf = path.join(BUILD_DIR, "probe-events-not-elf");
    writeFileSync(notElf, "not an ELF file\n");
    expect(funcOffset(notElf, "record")).toBeUndefined();
    expect(openProbeEvent("kprobe/vfs_read")).toBeUndefined();
    expect(openProbeEvent("tracepoint/syscalls/no_such_event")).toBeUndefined();
    expect(openProbeEvent(`uprobe/${path.basename(workload)}:record`)).toBeUndefined();
    expect(openProbeEvent(`uprobe/${workload}:no_such_function`)).toBeUndefined();
    expect(openProbeEvent(`uprobe/${workload}:record@@LIB_1`)).toBeUndefined();
  });

  it("a uprobe, a uretprobe and a tracepoint attach to the events opened ahead, and fire", async () => {
    kernelAvailable();
    const workload = buildWorkload("probe-events");
    const file = path.join(path.dirname(probeFor(workload)), "probe-events-both.ts");
    writeFileSync(file, BOTH.replaceAll("BINARY", workload));
    const before = perfFds();
    const obj = await open(file);
    try {
      await obj.openEvents();
      expect(perfFds()).toBe(before + 2);
      obj.load().attach();
      expect(perfFds()).toBe(before + 2); // no other event was opened
      runWorkload(workload, 6);
      const hits = obj.maps.hits;
      if (!(hits instanceof BpfMap)) throw new Error("hits is not an array map");
      expect([...hits.values()]).toEqual([6n, 6n]);
    } finally {
      obj.close();
    }
    expect(perfFds()).toBe(before);

    // A tracepoint's, opened from the start (as bpftsc run opens them).
    const tpFile = path.join(path.dirname(file), "probe-events-tracepoint.ts");
    writeFileSync(tpFile, TRACEPOINT);
    const tp = await open(tpFile, { openEvents: true });
    try {
      await tp.openEvents();
      expect(perfFds()).toBe(before + 1);
      tp.load().attach();
      expect(perfFds()).toBe(before + 1);
      for (let i = 0; i < 3; i++) void process.ppid; // getppid() each (any process's count too)
      const calls = tp.maps.calls;
      if (!(calls instanceof BpfMap)) throw new Error("calls is not an array map");
      expect([...calls.values()][0]).toBeGreaterThanOrEqual(3n);
    } finally {
      tp.close();
    }
    expect(perfFds()).toBe(before);

    // Opened from the start, attached to.
    const early = await open(file, { openEvents: true });
    try {
      await early.openEvents();
      expect(perfFds()).toBe(before + 2);
      early.load().attach();
      expect(perfFds()).toBe(before + 2);
    } finally {
      early.close();
    }
    expect(perfFds()).toBe(before);

    // Closed before attaching, or attached elsewhere: the events opened ahead are closed.
    const unattached = await open(file);
    await unattached.openEvents();
    unattached.close();
    expect(perfFds()).toBe(before);
    const elsewhere = await open(file);
    try {
      await elsewhere.openEvents();
      elsewhere.load().attach("onEntry", { binary: buildWorkload() });
      expect(perfFds()).toBe(before + 2); // onReturn's, and onEntry's on the other binary
    } finally {
      elsewhere.close();
    }
    expect(perfFds()).toBe(before);
  });
});
