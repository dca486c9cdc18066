// Builds test/loader/workload.c and says what it does: the arguments of each record()
// call, computed from the call's index as the C code computes them.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_DIR, buildTarget } from "../harness/harness.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROBES = path.join(HERE, "probes");

export interface Call { id: number; bytes: bigint; name: string; delta: bigint }

const NAMES = ["alpha", "beta", "gamma-delta-epsilon-zeta"];

/** The record() calls of a run with `count` calls. */
export function calls(count: number): Call[] {
  return Array.from({ length: count }, (_, i) => ({ id: i % 5, bytes: BigInt(100 * i + 7), name: NAMES[i % 3]!, delta: BigInt(-i) }));
}

/** The workload binary (this test process's own copy), under one of two names. */
export function buildWorkload(name = "loader-workload"): string {
  return buildTarget(name, fs.readFileSync(path.join(HERE, "workload.c"), "utf8"));
}

/** probes/<probe> (default stats.ts) with its uprobe's binary, `placeholder` in the
 *  file, set to `binary` (the compiler checks that a probed binary exists): the file to
 *  open. */
export function probeFor(binary: string, probe = "stats.ts", placeholder = "/nonexistent/loader-workload"): string {
  const dir = path.join(BUILD_DIR, "loader-probes", `p${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, probe);
  fs.writeFileSync(file, fs.readFileSync(path.join(PROBES, probe), "utf8").replace(JSON.stringify(placeholder), JSON.stringify(binary)));
  return file;
}

/** Runs the workload to completion. */
export function runWorkload(binary: string, count: number): void {
  const r = spawnSync(binary, [String(count)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${binary} ${count} exited ${r.status ?? r.signal}: ${r.stderr}`);
}

/** Starts the workload waiting on stdin; `go()` lets it run, `done` settles when it exits. */
export function startWaiting(binary: string, count: number): { pid: number; go(): void; done: Promise<void> } {
  const child = spawn(binary, [String(count), "wait"], { stdio: ["pipe", "ignore", "inherit"] });
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${binary} exited ${code ?? signal}`))));
  });
  return { pid: child.pid!, go: () => child.stdin!.end("x"), done };
}
