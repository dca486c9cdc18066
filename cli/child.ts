// `bpftsc run -c`'s command, started before the probe loads and held stopped until it is
// attached, as bpftrace runs its -c command: its pid is known at load time (a setting
// can be `cpid`), and nothing it does happens before the probes are in place.
// In: the command's argv. Out: a StoppedChild: its pid, resume() once attached, stop()
// when the run ends early. The command goes through `sh`, which stops itself and then
// execs the command in its place (same pid); sh reports a program it cannot run
// (status 126 or 127) on stderr.

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

export interface StoppedChild {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Lets the command run (SIGCONT). */
  resume(): void;
  /** Ends the command (SIGKILL while stopped, else SIGTERM), if it has not exited. */
  stop(): void;
}

/** How long to wait for sh to stop itself before giving up. */
const STOP_WAIT_MS = 5000;

export function startStopped(argv: readonly string[]): StoppedChild | string {
  const child = spawn("/bin/sh", ["-c", 'kill -STOP $$; exec "$0" "$@"', ...argv], { stdio: "inherit" });
  const pid = child.pid;
  if (pid === undefined) return `cannot start ${argv[0]}`;
  const deadline = Date.now() + STOP_WAIT_MS;
  while (state(pid) !== "T") {
    if (Date.now() > deadline || state(pid) === undefined) {
      child.kill("SIGKILL");
      return `${argv[0]} did not start`;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
  let resumed = false;
  return {
    pid,
    process: child,
    resume() {
      resumed = true;
      process.kill(pid, "SIGCONT");
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill(resumed ? "SIGTERM" : "SIGKILL");
    },
  };
}

/** A process's state letter from /proc/PID/stat (R, S, T, Z, ...), undefined once gone. */
function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}
