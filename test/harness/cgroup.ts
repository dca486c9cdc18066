// A cgroup v2 child for tests: made under wherever cgroup2 is mounted (found in
// /proc/mounts; /sys/fs/cgroup/unified on the test machines, whose v1 controllers are
// mounted beside it), named for the test process, and a command line that runs a program
// inside it (a shell writes its own pid to cgroup.procs, then execs the program).
// Removed again once the processes in it have exited.

import * as fs from "node:fs";
import * as path from "node:path";

/** Where the cgroup2 hierarchy is mounted. */
export function cgroup2Mount(): string {
  const line = fs.readFileSync("/proc/mounts", "utf8").split("\n").find((l) => l.split(" ")[2] === "cgroup2");
  if (!line) throw new Error("no cgroup2 file system in /proc/mounts: the cgroup tests need the cgroup v2 hierarchy mounted");
  return line.split(" ")[1]!;
}

export interface TestCgroup {
  dir: string;
  /** argv running `program args...` inside the cgroup. */
  inside(program: string, ...args: string[]): string[];
  remove(): void;
}

export function makeCgroup(name: string): TestCgroup {
  const dir = path.join(cgroup2Mount(), `${name}-p${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    inside: (program, ...args) => ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, program, ...args],
    remove: () => {
      // A process that has exited leaves the cgroup once it is reaped: retry for a while.
      for (let tries = 0; ; tries++) {
        try {
          fs.rmdirSync(dir);
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
          if (tries >= 50) throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    },
  };
}
