// `bpftsc run -c`'s command, started before the probe loads and held until it is
// attached, as bpftrace runs its -c command: its pid is known at load time (a setting
// can be `cpid`), and nothing it does happens before the probes are in place.
// In: the command's argv. Out: a HeldChild: its pid, resume() once attached, stop()
// when the run ends early. The command goes through `sh`, which waits for a line on a
// pipe from bpftsc (fd 3) and then execs the command in its place (same pid), without
// the pipe; sh reports a program it cannot run (status 126 or 127) on stderr. Nothing
// waits for sh to get there: a line written earlier waits in the pipe. Should bpftsc
// end without resuming it, the pipe's end makes sh exit without running the command.

import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";

export interface HeldChild {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Lets the command run. */
  resume(): void;
  /** Ends the command (SIGKILL while held, else SIGTERM), if it has not exited. */
  stop(): void;
}

export function startHeld(argv: readonly string[]): HeldChild | string {
  const child = spawn("/bin/sh", ["-c", 'read _ <&3 || exit 1; exec 3<&- "$0" "$@"', ...argv], { stdio: ["inherit", "inherit", "inherit", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) return `cannot start ${argv[0]}`;
  const hold = child.stdio[3] as Writable;
  hold.on("error", () => {}); // sh gone already (EPIPE): its exit says how
  let resumed = false;
  return {
    pid,
    process: child,
    resume() {
      resumed = true;
      hold.end("\n");
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill(resumed ? "SIGTERM" : "SIGKILL");
      hold.destroy();
    },
  };
}
