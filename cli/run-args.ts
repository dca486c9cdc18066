// `bpftsc run`'s command line. In: argv after "run". Out: RunArgs, or the reason it is
// bad usage (a message for exit status 2). Checks what can be checked before compiling:
// the probe file is a regular .ts file, the -c command is a program that exists.

import { accessSync, constants, statSync, type Stats } from "node:fs";
import { delimiter, join } from "node:path";

export const RUN_USAGE = `Usage: bpftsc run <probe.ts> [-c <command>] [-d <seconds>] [-i <seconds>] [--json]
                  [--set NAME=VALUE]... [--cgroup <dir>] [--btf <file>]

Compiles the probe, loads it, attaches every program, prints ring- and perf-buffer
records as they arrive, and when the run ends prints every map and every setting and
global.

  -c <command>     run the command (its arguments split on spaces) once attached;
                   the run ends when it exits. It is started, held, before the probe
                   loads, so a setting can be its pid: --set NAME=cpid
  -d <seconds>     end the run after this long
  -i <seconds>     print the maps every interval, headed by the time
  --json           one JSON object per line instead of text
  --set NAME=VALUE set a load-time setting before load: an integer (decimal or 0x hex,
                   negative allowed), true/false/1/0, a string for Chars, JSON for a
                   struct or an array
  --cgroup <dir>   put this cgroup v2 directory at index 0 of the probe's CgroupArrays
                   (currentTaskUnder(0): a task in it or below it)
  --btf <file>     kernel BTF to compile against (default /sys/kernel/btf/vmlinux)
  -h, --help       this text

Without -c or -d the run ends on Ctrl-C (SIGINT) or SIGTERM. Exit status: 0 the probe
ran, 1 it did not compile, load or attach, 2 bad usage.
`;

/** The --set value that stands for the -c command's pid, as bpftrace's `cpid`. */
export const CPID = "cpid";

export interface RunArgs {
  probe: string;
  /** The -c command and its arguments. */
  command?: string[];
  /** The executable file the -c command runs (its user frames are symbolized). */
  program?: string;
  durationMs?: number;
  intervalMs?: number;
  json: boolean;
  sets: { name: string; text: string }[];
  /** The --cgroup directory. */
  cgroup?: string;
  btf?: string;
}

export function parseRunArgs(argv: readonly string[]): RunArgs | string {
  const args: Partial<RunArgs> & Pick<RunArgs, "json" | "sets"> = { json: false, sets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "-c") args.command = value().split(" ").filter((w) => w !== "");
      else if (a === "-d") args.durationMs = seconds(a, value());
      else if (a === "-i") args.intervalMs = seconds(a, value());
      else if (a === "--json") args.json = true;
      else if (a === "--btf") args.btf = value();
      else if (a === "--cgroup") args.cgroup = value();
      else if (a === "--set") {
        const v = value(), eq = v.indexOf("=");
        if (eq <= 0) return `--set takes NAME=VALUE, not '${v}'`;
        args.sets.push({ name: v.slice(0, eq), text: v.slice(eq + 1) });
      } else if (a.startsWith("-")) return `unknown option '${a}'`;
      else if (args.probe !== undefined) return `one probe file at a time ('${args.probe}' and '${a}')`;
      else args.probe = a;
    } catch (e) {
      if (e instanceof UsageError) return e.message;
      throw e;
    }
  }
  if (args.probe === undefined) return "no probe file";
  if (!args.probe.endsWith(".ts")) return `'${args.probe}' is not a TypeScript file: a probe file's name ends in .ts`;
  if (!isFile(args.probe)) return `cannot read '${args.probe}': no such file`;
  if (args.cgroup !== undefined && !isDirectory(args.cgroup)) return `--cgroup: no directory '${args.cgroup}'`;
  if (args.command !== undefined) {
    if (args.command.length === 0) return "-c needs a command";
    args.program = programFile(args.command[0]!);
    if (!args.program) return `-c: no program '${args.command[0]}' (not a file, nor in PATH)`;
  }
  const cpid = args.sets.find((s) => s.text === CPID);
  if (cpid && args.command === undefined) return `--set ${cpid.name}=${CPID}: ${CPID} is the -c command's pid, and there is no -c`;
  return args as RunArgs;
}

class UsageError extends Error {}

function seconds(option: string, text: string): number {
  const s = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(s > 0)) throw new UsageError(`${option} takes a number of seconds greater than 0, not '${text}'`);
  return s * 1000;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const isFile = (path: string): boolean => statOf(path)?.isFile() ?? false;
const isDirectory = (path: string): boolean => statOf(path)?.isDirectory() ?? false;

/** Whether `name` is an executable file, or (without a slash) one in $PATH. */
/** The executable file a command name runs, as the shell finds it. */
function programFile(name: string): string | undefined {
  const dirs = name.includes("/") ? [""] : (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  return dirs.map((dir) => (dir ? join(dir, name) : name)).find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return isFile(file);
    } catch {
      return false;
    }
  });
}
