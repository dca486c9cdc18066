// The benchmark's command line.
//   npx tsx bench/run.ts [--runs N] [--event-runs N] [--rounds N] [--scaling-runs N]
//                        [--cpu v3|v4] [--only NAME]... [--no-scaling] [--no-loader] [--clang-arg ARG]... [--keep]
// In: argv. Out: options, or a usage message and exit.

export interface Options {
  /** Compile runs per probe (median). */
  runs: number;
  /** Attached runs of the workload per object (median run time). */
  eventRuns: number;
  /** Rounds of the workload per attached run. */
  rounds: number;
  /** Compile runs per scaling size (median). */
  scalingRuns: number;
  cpu: "v3" | "v4";
  only: string[];
  scaling: boolean;
  clangArgs: string[];
  keep: boolean;
  /** The loader's ring-buffer rate and `bpftsc run` beside bpftrace, after the tables. */
  loader: boolean;
}

const USAGE =
  "usage: tsx bench/run.ts [--runs N] [--event-runs N] [--rounds N] [--scaling-runs N] [--cpu v3|v4]\n" +
  "                        [--only PROBE]... [--no-scaling] [--no-loader] [--clang-arg ARG]... [--keep]\n";

export function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 2 : 0);
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 5, eventRuns: 3, rounds: 20000, scalingRuns: 3, cpu: "v3", only: [], scaling: true, clangArgs: [], keep: false, loader: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const count = (): number => {
      const n = Number(next());
      if (!Number.isInteger(n) || n < 1) usage(`${a} must be a positive integer`);
      return n;
    };
    if (a === "--runs") o.runs = count();
    else if (a === "--event-runs") o.eventRuns = count();
    else if (a === "--rounds") o.rounds = count();
    else if (a === "--scaling-runs") o.scalingRuns = count();
    else if (a === "--cpu") {
      const v = next();
      if (v !== "v3" && v !== "v4") usage("--cpu is v3 or v4");
      o.cpu = v;
    } else if (a === "--only") o.only.push(next());
    else if (a === "--no-scaling") o.scaling = false;
    else if (a === "--no-loader") o.loader = false;
    else if (a === "--clang-arg") o.clangArgs.push(next());
    else if (a === "--keep") o.keep = true;
    else if (a === "-h" || a === "--help") usage();
    else usage(`unknown argument '${a}'`);
  }
  return o;
}
