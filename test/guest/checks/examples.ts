// The repository's examples that use kprobes, kretprobes, fentry or fexit, compiled
// against the guest's BTF, attached, and run under the workload: their maps must show
// what the workload did. An example of those kinds without an entry here fails.

import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { REPO_ROOT, decodeInt, getMap, type LoaderResult } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { workloadRun } from "./workload.js";

const EXAMPLES = path.join(REPO_ROOT, "examples");
const KERNEL_PROBE = /\b(kprobe|kretprobe|fentry|fexit)\(/;

interface ExampleRun {
  workload: string[];
  verify(r: LoaderResult): void;
}

const RUNS: Record<string, ExampleRun> = {
  // perPid: pid -> { calls, bytes } of ksys_write.
  "count-writes": {
    workload: ["write", "4", "100"],
    verify(r) {
      const w = workloadRun(r);
      const e = (getMap(r, "perPid").entries ?? []).find((x) => decodeInt(x.key, "u32") === BigInt(w.pid));
      expect(e, `no entry for the workload's pid ${w.pid}`).toBeDefined();
      // 4 writes of 100 bytes, then the report to stdout.
      expect([decodeInt(e!.value!, "u64", 0), decodeInt(e!.value!, "u64", 8)]).toEqual([5n, 400n + BigInt(w.stdout.length)]);
    },
  },
  // histogram: log2(ns) bucket -> vfs_read calls, every process's.
  latency: {
    workload: ["read", "8", "512"],
    verify(r) {
      workloadRun(r);
      const counts = (getMap(r, "histogram").entries ?? []).map((e) => decodeInt(e.value!, "u64"));
      expect(counts).toHaveLength(64);
      expect(counts.reduce((a, b) => a + b, 0n)).toBeGreaterThanOrEqual(8n);
      // No read took 2^34 ns (17 s): longer than the whole run.
      expect(counts.slice(34).every((c) => c === 0n)).toBe(true);
    },
  },
};

const kernelProbeExamples = fs.readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && KERNEL_PROBE.test(fs.readFileSync(path.join(EXAMPLES, f), "utf8")))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();

export const exampleChecks: GuestCheck[] = kernelProbeExamples.map((name) => ({
  title: `example ${name} attaches and counts the workload`,
  prepare(ctx) {
    const run = RUNS[name];
    if (!run) throw new Error(`examples/${name}.ts uses kernel probes but test/guest/checks/examples.ts has no run for it`);
    const object = ctx.compile(`example-${name}`, fs.readFileSync(path.join(EXAMPLES, `${name}.ts`), "utf8"));
    const result = ctx.load(`example-${name}`, object, { attach: true, command: [ctx.workload, ...run.workload] });
    return (guest) => run.verify(result(guest));
  },
}));
