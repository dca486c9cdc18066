// The kernel's view of an object, for the benchmark, through the test loader
// (test/harness/loader.c, --stats): per program the verifier's work (verified_insns) and
// the instructions after the kernel's rewrite, from loading it; and, with the programs
// attached while a workload runs, the time they took per event (bpf_prog_info's
// run_time_ns / run_cnt, which the kernel counts while kernel.bpf_stats_enabled is 1);
// two objects can be attached together (the loader's --beside), so that both run on the
// same events at the same time.
// In: the loader, an object (and one beside it), optionally a workload command. Out:
// statistics per program, or why the object did not load or attach.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { firstLine } from "./measure.js";

export interface ProgStats {
  xlated?: number;
  verified?: number;
  /** Nanoseconds per run, when attached under a workload. */
  nsPerRun?: number;
  runs?: number;
}

export interface KernelResult {
  ok: boolean;
  /** "load failed (exit 3): ...", "attach failed (exit 4): ..." */
  error?: string;
  progs: Map<string, ProgStats>;
  /** With --beside: the other object's programs. */
  beside?: Map<string, ProgStats>;
}

const WHY = ["", "bad usage", "open failed", "load failed", "attach failed", "runtime error"];

function runLoader(loader: string, args: string[], obj: string): KernelResult {
  const r = spawnSync(loader, args, { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024 });
  const progs = new Map<string, ProgStats>();
  if (r.error) return { ok: false, error: `loader: ${r.error.message}`, progs };
  if (r.status !== 0) {
    // The loader's own summary line, then the first libbpf error line (the verifier log follows it).
    const lines = r.stderr.split("\n");
    const summary = lines.find((l) => l.startsWith("loader:"))?.replace(/^loader:\s*/, "").replace(obj, path.basename(obj));
    const cause = lines.find((l) => /^libbpf: .*(error|fail|invalid)/i.test(l));
    const detail = [summary, cause].filter(Boolean).join("; ") || firstLine(r.stderr);
    return { ok: false, error: `${WHY[r.status ?? 0] ?? "failed"} (exit ${r.status}): ${detail}`, progs };
  }
  try {
    type P = { name: string; xlated_insns?: number; verified_insns?: number; run_time_ns?: number; run_cnt?: number };
    const j = JSON.parse(r.stdout) as { programs: P[]; beside?: { programs: P[] } };
    const stats = (ps: P[]): Map<string, ProgStats> => new Map(ps.map((p) => {
      const runs = p.run_cnt ?? 0;
      return [p.name, {
        xlated: p.xlated_insns,
        verified: p.verified_insns,
        ...(runs > 0 ? { nsPerRun: (p.run_time_ns ?? 0) / runs, runs } : {}),
      }];
    }));
    return { ok: true, progs: stats(j.programs), ...(j.beside ? { beside: stats(j.beside.programs) } : {}) };
  } catch (e) {
    return { ok: false, error: `loader output unreadable: ${(e as Error).message}`, progs };
  }
}

/** Loads the object: verifier work and rewritten size of every program. */
export function loadStats(loader: string, obj: string): KernelResult {
  return runLoader(loader, [obj, "--stats"], obj);
}

/** Attaches every program of the object (and then of `beside`, when given) while
 *  `workload` runs; run time per event. */
export function runTimes(loader: string, obj: string, workload: string[], beside?: string): KernelResult {
  const also = beside === undefined ? [] : ["--beside", beside];
  return runLoader(loader, [obj, ...also, "--attach", "--stats", "--timeout", "120", "--", ...workload], obj);
}

const STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";

/** Runs f with kernel.bpf_stats_enabled = 1, then puts the setting back as it was (also
 *  when the benchmark is interrupted). */
export function withBpfStats<T>(f: () => T): T {
  const before = fs.readFileSync(STATS_SYSCTL, "utf8").trim();
  const restore = (): void => { try { fs.writeFileSync(STATS_SYSCTL, before); } catch { /* as good as it gets */ } };
  const onSignal = (): void => { restore(); process.exit(130); };
  fs.writeFileSync(STATS_SYSCTL, "1");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return f();
  } finally {
    restore();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
