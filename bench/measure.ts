// Running the compilers for the benchmark: one whole command, its wall time and its peak
// memory (maxrss, from GNU time's %M), and the median of several runs.
// In: a command line. Out: exit status, stderr, milliseconds, kilobytes.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set size of the command, in kilobytes. */
  maxrssKb: number;
}

const GNU_TIME = "/usr/bin/time";
const rssFile = path.join(os.tmpdir(), `bpftsc-bench-rss-${process.pid}`);

/** Runs cmd under GNU time (`-f %M -o FILE`, so the command's own stderr stays its own). */
export function measure(cmd: string, args: string[], cwd?: string): Run {
  const t0 = performance.now();
  const r = spawnSync(GNU_TIME, ["-f", "%M", "-o", rssFile, cmd, ...args], { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${GNU_TIME} ${cmd}: ${r.error.message} (GNU time is the Debian package 'time')`);
  let maxrssKb = NaN;
  try {
    maxrssKb = Number(fs.readFileSync(rssFile, "utf8").trim().split("\n").pop());
  } catch {
    // No report: the command could not be started; the status says so.
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms, maxrssKb };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function firstLine(s: string): string {
  return (s.split("\n").find((l) => l.trim() !== "") ?? "").trim().slice(0, 160);
}

export function cleanupMeasure(): void {
  fs.rmSync(rssFile, { force: true });
}
