// The repository's examples that use kprobes, kretprobes, fentry or fexit, compiled
// against the guest's BTF, attached, and run under the workload (with settings, in one or
// more runs): their maps and records must show what the workload did. An example of those
// kinds without an entry here fails.

import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { compileProbe, OUT_DIR } from "../../e2e/compile-helper.js";
import { REPO_ROOT, decodeInt, getMap, type LoaderOptions, type LoaderResult } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { charsText, field, workloadRun } from "./workload.js";

const EXAMPLES = path.join(REPO_ROOT, "examples");
const KERNEL_PROBE = /\b(kprobe|kretprobe|fentry|fexit)\(/;

interface ExampleRun {
  workload: string[];
  /** Settings (--set NAME=HEX) of each run; one run without any when absent. */
  runs?: Record<string, string>[];
  verify(r: LoaderResult, run: number): void;
}

const TCP_PORT = 45678;
/** The port as struct sock keeps skc_dport: network byte order, as hex bytes. */
const DPORT_HEX = TCP_PORT.toString(16).padStart(4, "0");
const LOOPBACK4 = "7f000001";
const LOOPBACK6 = `${"00".repeat(15)}01`;
const u16hex = (n: number) => Buffer.from([n & 0xff, n >> 8]).toString("hex");

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

// stats: calls per VFS function (vfsstat.h's enum stat_types), every process's. Nothing
// else in the guest makes directories, nodes, unlinks or fsyncs while the workload runs,
// so those counts are the workload's exactly; reads, writes and opens are at least its own.
RUNS.vfsstat = {
  workload: ["fs"],
  verify(r) {
    const w = workloadRun(r);
    const g = r.globals.find((x) => x.name === "stats");
    expect(g, "no global stats").toBeDefined();
    const stats = Array.from({ length: 8 }, (_, i) => decodeInt(g!.value, "u64", i * 8));
    const [, write, fsync, open, create, unlink, mkdir, rmdir] = stats; // reads: not the workload's
    // fsync(2) calls vfs_fsync inlined into do_fsync on both kernels (a tracefs kprobe on
    // vfs_fsync sees none of the workload's 3, one on vfs_fsync_range all 3): the kprobe,
    // the original's too, counts only the out-of-line calls, none here.
    expect(field(w, "fsync")).toBe(3);
    expect({ fsync, create, unlink, mkdir, rmdir }).toEqual({
      fsync: 0n, create: BigInt(field(w, "create")), unlink: BigInt(field(w, "unlink")),
      mkdir: BigInt(field(w, "mkdir")), rmdir: BigInt(field(w, "rmdir")),
    });
    expect(write! >= BigInt(field(w, "write")) + 1n, `write ${write}`).toBe(true); // and the report
    expect(open! >= BigInt(field(w, "open")), `open ${open}`).toBe(true);
  },
};

RUNS.tcpconnect = {
  workload: ["connect", String(TCP_PORT)],
  runs: [{}, { do_count: "01", source_port: "01" }],
  verify(r, run) {
    const w = workloadRun(r);
    const sport4 = field(w, "sport4"), sport6 = field(w, "sport6");
    // The guests have IPv6: both connections are made.
    expect([sport4 > 0, sport6 > 0]).toEqual([true, true]);
    if (run === 0) {
      // struct event: saddr, daddr (unions of 16 bytes), task, ts_us, af, pid, uid, sport, dport.
      const mine = (getMap(r, "events").records ?? []).filter((h) => decodeInt(h, "u32", 60) === BigInt(w.pid));
      const events = mine.map((h) => ({
        af: Number(decodeInt(h, "u32", 56)), saddr: h.slice(0, 32), daddr: h.slice(32, 64), task: charsText(h.slice(64, 96)),
        uid: Number(decodeInt(h, "u32", 64)), sport: Number(decodeInt(h, "u16", 68)), dport: h.slice(140, 144),
      }));
      const v4 = { af: 2, saddr: LOOPBACK4 + "00".repeat(12), daddr: LOOPBACK4 + "00".repeat(12), task: "gwork", uid: 0, sport: 0, dport: DPORT_HEX };
      const v6 = { af: 10, saddr: LOOPBACK6, daddr: LOOPBACK6, task: "gwork", uid: 0, sport: 0, dport: DPORT_HEX };
      expect(events).toEqual([v4, v6]);
      expect(mine.every((h) => decodeInt(h, "u64", 48) > 0n)).toBe(true); // ts_us
      expect(getMap(r, "ipv4_count").entries ?? []).toEqual([]);
    } else {
      // do_count with source_port: one connection per flow, keyed with the local port.
      const v4 = (getMap(r, "ipv4_count").entries ?? []).map((e) => [e.key, decodeInt(e.value!, "u64")]);
      expect(v4).toContainEqual([LOOPBACK4 + LOOPBACK4 + u16hex(sport4) + DPORT_HEX, 1n]);
      const v6 = (getMap(r, "ipv6_count").entries ?? []).map((e) => [e.key, decodeInt(e.value!, "u64")]);
      expect(v6).toContainEqual([LOOPBACK6 + LOOPBACK6 + u16hex(sport6) + DPORT_HEX, 1n]);
      expect((getMap(r, "events").records ?? []).filter((h) => decodeInt(h, "u32", 60) === BigInt(w.pid))).toEqual([]);
    }
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
    const source = fs.readFileSync(path.join(EXAMPLES, `${name}.ts`), "utf8");
    // Beside the examples' own kernel.d.ts (this machine's declarations; the layouts come
    // from the guest's BTF, and libbpf relocates the field accesses).
    const dir = path.join(OUT_DIR, `guest-${ctx.kernel.id}-examples`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(EXAMPLES, "kernel.d.ts"), path.join(dir, "kernel.d.ts"));
    const { object } = compileProbe(`example-${name}`, source, { dir, btfPath: ctx.kernel.btf, arch: ctx.kernel.arch.target });
    const results = (run.runs ?? [{}]).map((set, i) => {
      const opts: LoaderOptions = { attach: true, set, command: [ctx.workload, ...run.workload] };
      return ctx.load(`example-${name}-${i}`, object, opts);
    });
    return (guest) => results.forEach((result, i) => run.verify(result(guest), i));
  },
}));
