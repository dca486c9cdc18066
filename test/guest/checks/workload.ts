// Reading what the workload (workload.c) says it did, and the loader's view of its run.
// In: a loader result whose command was the workload. Out: its pid and its report's fields.

import { expect } from "vitest";
import type { LoaderResult } from "../../harness/harness.js";

export interface WorkloadRun {
  pid: number;
  /** The report line's bytes (the workload's one write to stdout). */
  stdout: string;
  /** The report's key=value fields. */
  report: Map<string, number>;
}

export function workloadRun(r: LoaderResult): WorkloadRun {
  const c = r.command;
  expect(c, "the loader ran no command").not.toBeNull();
  expect({ exit: c!.exit_code, timedOut: c!.timed_out, stderr: r.stderr.slice(-2000) }).toMatchObject({ exit: 0, timedOut: false });
  const report = new Map([...c!.stdout.matchAll(/(\w+)=(-?\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  return { pid: c!.pid, stdout: c!.stdout, report };
}

/** A report field the workload must have printed. */
export function field(w: WorkloadRun, name: string): number {
  const v = w.report.get(name);
  if (v === undefined) throw new Error(`the workload's report has no ${name}=: ${JSON.stringify(w.stdout)}`);
  return v;
}

/** A NUL-terminated string at the start of `hex` (a Chars<N> value). */
export function charsText(hex: string): string {
  const b = Buffer.from(hex, "hex");
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("latin1");
}
