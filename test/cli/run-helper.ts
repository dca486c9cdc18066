// Running `bpftsc run` as a user runs it (bin/bpftsc.js over the built bundle), to the
// end or in the background, and the run tests' probe and uprobe target.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_DIR, REPO_ROOT, buildTarget, ensureTracefs } from "../harness/harness.js";

const BIN = path.join(REPO_ROOT, "bin", "bpftsc.js");
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
/** This test process's scratch directory (probe copies, markers). */
export const RUN_DIR = path.join(BUILD_DIR, "run", `p${process.pid}`);
const ENV = { ...process.env, BPFTSC_CACHE_DIR: path.join(BUILD_DIR, "run", ".cache") };

export interface Ran { status: number | null; stdout: string; stderr: string }

/** Builds dist/ if a test file runs before `npm run build` has. */
export function ensureBuilt(): void {
  if (fs.existsSync(path.join(REPO_ROOT, "dist", "bpftsc.cjs"))) return;
  const b = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, encoding: "utf8" });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}${b.stderr}`);
}

/** `bpftsc ARGS` (a compile, `types`, usage) to its end in `cwd`, with a compile cache of
 *  that directory's own. */
export function bpftscAt(args: string[], cwd: string): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 60_000, env: { ...process.env, BPFTSC_CACHE_DIR: path.join(cwd, ".cache") } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `bpftsc run ARGS` to its end (`env`: variables to add). */
export function bpftscRun(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Ran {
  ensureTracefs();
  // Machine-wide probes print every process's records: room for a busy machine's (past
  // maxBuffer, spawnSync would kill the run and cut its output mid-line).
  const r = spawnSync(process.execPath, [BIN, "run", ...args], { cwd: RUN_DIR, encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 30, env: { ...ENV, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `bpftsc run ARGS` to its end, started as a user's shell starts the command: the file
 *  itself, through its `#!` line (`env`: variables to add). */
export function bpftscCommand(args: string[], env: Record<string, string> = {}): Ran {
  ensureTracefs();
  const r = spawnSync(BIN, ["run", ...args], { cwd: RUN_DIR, encoding: "utf8", timeout: 60_000, env: { ...ENV, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `bpftsc run ARGS` in the background: what it printed so far, waiting for a pattern,
 *  a signal, and its end. */
export function startRun(args: string[]) {
  ensureTracefs();
  const child = spawn(process.execPath, [BIN, "run", ...args], { cwd: RUN_DIR, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  const waiters: (() => void)[] = [];
  const grow = (k: "stdout" | "stderr") => (chunk: Buffer) => {
    out[k] += chunk.toString("utf8");
    waiters.forEach((w) => w());
  };
  child.stdout.on("data", grow("stdout"));
  child.stderr.on("data", grow("stderr"));
  const done = new Promise<Ran>((resolve) => child.on("close", (status) => resolve({ status, ...out })));
  return {
    out,
    done,
    kill: (signal: NodeJS.Signals) => child.kill(signal),
    /** Resolves once `test` holds of what has been printed (rejects after 30 s). */
    until: (test: (o: typeof out) => boolean): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; printed so far:\n${out.stdout}\n${out.stderr}`)), 30_000);
      const check = () => {
        if (!test(out)) return;
        clearTimeout(timer);
        resolve();
      };
      waiters.push(check);
      check();
    }),
  };
}

/** The run tests' target (fixtures/run-target.c) and a copy of fixtures/run-probe.ts
 *  naming it. */
export function runFixture(): { target: string; probe: string } {
  const target = buildTarget("run-target", fs.readFileSync(path.join(FIXTURES, "run-target.c"), "utf8"));
  const probe = writeProbe("run-probe.ts", fs.readFileSync(path.join(FIXTURES, "run-probe.ts"), "utf8").replace('"/nonexistent/run-target"', JSON.stringify(target)));
  return { target, probe };
}

/** Writes a probe file into RUN_DIR; returns its path. */
export function writeProbe(name: string, source: string): string {
  fs.mkdirSync(RUN_DIR, { recursive: true });
  const file = path.join(RUN_DIR, name);
  fs.writeFileSync(file, source);
  return file;
}
