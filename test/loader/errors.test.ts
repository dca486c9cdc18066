// Failures a user can act on: a program the verifier rejects (the error carries the
// verifier's log), a program this kernel cannot attach (a kprobe: CONFIG_KPROBES is off
// here) with nothing left attached, and misuse of the object's life cycle.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { ArrayMap, HashMap, Program, u32, u64 } from "bpftsc";
import { BpfError, open } from "../../loader/index.js";
import { loadLibrary } from "../../loader/libbpf.js";
import { BUILD_DIR, buildBpfC, kernelAvailable } from "../harness/harness.js";
import { buildWorkload, runWorkload } from "./workload.js";

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures");

/** The error `f` throws (failing the test if it throws none, or not a BpfError). */
function thrown(f: () => unknown): BpfError {
  try {
    f();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error("expected a BpfError, nothing was thrown");
}

/** Writes a probe file under test/.build and returns its path. */
function probeFile(name: string, source: string): string {
  const dir = path.join(BUILD_DIR, "loader-probes", `p${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, source);
  return file;
}

describe("errors", () => {
  it("a verifier rejection is a BpfError carrying the verifier's log", async () => {
    kernelAvailable();
    using obj = await open(buildBpfC("loader-rejected", fs.readFileSync(path.join(FIXTURES, "rejected.bpf.c"), "utf8")));
    const e = thrown(() => obj.load());
    expect(e.stage).toBe("load");
    expect(e.errno).toBe(13); // EACCES: the verifier said no
    expect(e.message).toMatch(/^loading loader-rejected-[0-9a-f]+ failed: Permission denied \(errno 13: the verifier rejected a program; its log follows\)\n/);
    expect(e.log).toContain("prog 'unchecked': BPF program load failed: Permission denied");
    expect(e.log).toContain("invalid mem access 'map_value_or_null'");
    expect(e.message).toContain("invalid mem access 'map_value_or_null'");
    expect(obj.loaded).toBe(false);
  });

  it("an attach failure names the program and the reason, and leaves nothing attached", async () => {
    kernelAvailable();
    const target = buildWorkload();
    const file = probeFile("attach-fails", `import { kprobe, uprobe, ArrayMap, type u32, type u64 } from "bpftsc";
export const seen = new ArrayMap<u64>(1);
export const first = uprobe(${JSON.stringify(target)}, "record", (id: u32) => { seen.add(0, 1); });
export const second = kprobe("vfs_read", () => { seen.add(0, 1000); });
`);
    using obj = await open<{ seen: ArrayMap<u64>; first: Program; second: Program }>(file);
    obj.load();
    expect(obj.programs.map((p) => p.name)).toEqual(["first", "second"]); // the uprobe attaches first
    const e = thrown(() => obj.attach());
    expect(e.stage).toBe("attach");
    expect(e.program).toBe("second");
    expect(e.message).toMatch(/^attaching program 'second' \(kprobe\/vfs_read\) failed: No such file or directory \(errno 2: this kernel cannot attach kprobes \(no kprobe event source: CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is off\)\)\n/);
    expect(e.errno).toBe(2);
    expect(e.log).toContain("prog 'second': failed to create kprobe 'vfs_read+0x0' perf event");
    expect(obj.attached()).toEqual([]);
    runWorkload(target, 5);
    expect(obj.maps.seen.get(0)).toBe(0n); // the uprobe attached before the failure is gone

    obj.attach("first");
    runWorkload(target, 5);
    expect(obj.maps.seen.get(0)).toBe(5n);
  });

  it("a missing libbpf.so.1 names the Debian package; bytes that are no BPF object say so", async () => {
    expect(() => loadLibrary("libbpf-not-here.so.1", "libbpf1")).toThrow(/^bpftsc\/loader needs libbpf-not-here\.so\.1: install the Debian package libbpf1 \(apt-get install libbpf1\)\. /);
    await expect(open(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow("opening bpftsc failed: BPF object format invalid (errno 4001)\nlibbpf: elf: 'bpftsc' is not a proper ELF object");
  });

  it("a probe that does not compile is a BpfError with the diagnostics", async () => {
    const file = probeFile("broken", `import { kprobe } from "bpftsc";\nexport const p = kprobe("vfs_read", () => { const x: number = 1; });\n`);
    await expect(open(file)).rejects.toThrow(/does not compile:\n.*broken\.ts\(2,54\): error BPF3001: Type .number. is not supported/);
  });

  it("the life cycle is checked: maps need load(), attach needs load(), a closed object refuses", async () => {
    kernelAvailable();
    const obj = await open<{ counts: HashMap<u32, u64> }>(buildBpfC("loader-rejected", fs.readFileSync(path.join(FIXTURES, "rejected.bpf.c"), "utf8")));
    expect(thrown(() => obj.maps.counts.get(0)).message).toMatch(/^map 'counts': load\(\) loader-rejected-[0-9a-f]+ first$/);
    expect(thrown(() => obj.attach()).message).toMatch(/^load\(\) loader-rejected-[0-9a-f]+ before attaching its programs$/);
    expect(thrown(() => obj.map("nope")).message).toBe("the object has no map 'nope' (it has: counts)");
    obj.close();
    obj.close();
    expect(thrown(() => obj.load()).message).toMatch(/is closed$/);
  });
});
