// A batch of commands for one guest boot: a boot costs seconds, a command a tenth of one.
// In: named commands (an argv and a time limit each). Out: the shell script the guest runs
// (guest.ts), and, from the files it leaves, each command's exit status, stdout and stderr.

import type { GuestRun } from "./guest.js";

export interface CommandResult {
  /** null when the command never finished (the guest stopped before it). */
  exitCode: number | null;
  /** The command ran out of time: coreutils timeout's status 124, or 137 when it had to
   *  SIGKILL the command. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const OUT = "/bpftsc-guest";

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class Batch {
  private readonly commands: { name: string; argv: string[]; seconds: number }[] = [];

  add(name: string, argv: string[], seconds = 30): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || this.commands.some((c) => c.name === name)) throw new Error(`Batch: bad or repeated name '${name}'`);
    this.commands.push({ name, argv, seconds });
  }

  script(): string {
    return [
      `run() { n=$1; s=$2; shift 2; timeout -k 5 "$s" "$@" >${OUT}/"$n".out 2>${OUT}/"$n".err; echo $? >${OUT}/"$n".rc; }`,
      ...this.commands.map((c) => `run ${c.name} ${c.seconds} ${c.argv.map(quote).join(" ")}`),
      "",
    ].join("\n");
  }

  result(run: GuestRun, name: string): CommandResult {
    if (!this.commands.some((c) => c.name === name)) throw new Error(`Batch: no command '${name}'`);
    const text = (ext: string) => run.files.get(`${name}.${ext}`)?.toString("utf8");
    const rc = text("rc");
    const exitCode = rc === undefined ? null : Number(rc.trim());
    return { exitCode, timedOut: exitCode === 124 || exitCode === 137, stdout: text("out") ?? "", stderr: text("err") ?? "" };
  }
}
