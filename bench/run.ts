// bpftsc vs clang 19, in one run: every example (examples/<name>.ts, C twin
// bench/c/<name>.bpf.c) and every tool twin (bench/tools/) compiled by both, their
// instructions counted, loaded for the verifier's work, attached to the event workload
// (bench/workload.c) for run time per event; then generated handlers of growing size and
// files of more programs compiled by both (bench/generate.ts). Two tables, side by side
// with ratios bpftsc/clang and geometric means per column. Then the loader: ring- and
// perf-buffer throughput (bench/ringbuf.ts) and `bpftsc run` beside bpftrace (bench/run-vs-bpftrace.ts).
//
//   npm run bench -- [--runs N] [--cpu v3|v4] [--only PROBE]... [--no-scaling] [--no-loader] ...   (options.ts)
//
// A benchmark, not a test: it never fails on a ratio, only prints it. Needs root (it
// loads and attaches programs, and sets kernel.bpf_stats_enabled while it measures run
// time), clang-19, bpftool, gcc, libbpf-dev and GNU time; .ci/run installs them.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Toolchain } from "./compilers.js";
import { withBpfStats } from "./kernel.js";
import { cleanupMeasure } from "./measure.js";
import { parseArgs, usage } from "./options.js";
import { benchPair, type PairResult } from "./probe-bench.js";
import { probePairs } from "./probes.js";
import { probeTable, scalingTable, type ReportHeader } from "./report.js";
import { ringbufBench } from "./ringbuf.js";
import { runVsBpftrace } from "./run-vs-bpftrace.js";
import { benchScaling } from "./scaling.js";
import { setup } from "./setup.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, "..");
const BUILD_DIR = path.join(BENCH_DIR, ".build");

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const s = setup(REPO, BUILD_DIR);
  const tc: Toolchain = { repo: REPO, cpu: opts.cpu, clangArgs: opts.clangArgs, vmlinuxDir: s.vmlinuxDir, leanArgs: s.leanArgs };
  let pairs = probePairs(REPO, BUILD_DIR, s.workload);
  if (opts.only.length) {
    for (const o of opts.only) if (!pairs.some((p) => p.name === o)) usage(`no probe '${o}' (examples/ or bench/tools/)`);
    pairs = pairs.filter((p) => opts.only.includes(p.name));
  }
  const header: ReportHeader = { cpu: opts.cpu, clangArgs: opts.clangArgs, runs: opts.runs, eventRuns: opts.eventRuns, rounds: opts.rounds, scalingRuns: opts.scalingRuns };
  const progress = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-bench-"));
  try {
    const pairOpts = { runs: opts.runs, eventRuns: opts.eventRuns, workload: [s.workload, String(opts.rounds)], loader: s.loader };
    const results: PairResult[] = withBpfStats(() => pairs.map((p) => {
      progress(p.name);
      return benchPair(p, tc, pairOpts, tmp);
    }));
    const out = [probeTable(results, header)];
    if (opts.scaling) out.push(scalingTable(benchScaling(tc, opts.scalingRuns, BUILD_DIR, progress), header));
    process.stdout.write(out.join("\n\n") + "\n");
    if (opts.keep) progress(`objects kept in ${tmp}`);
  } finally {
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
    cleanupMeasure();
  }
  if (!opts.loader) return;
  process.stderr.write("bench: the loader's ring buffer...\n");
  console.log("\nbpftsc/loader ring buffer (bench/ringbuf.ts): 64-byte records from a tracepoint on getppid()");
  const ring = await ringbufBench();
  process.stderr.write("bench: the loader's perf buffer...\n");
  console.log("\nbpftsc/loader perf buffer (bench/ringbuf.ts --perf): the same records through a PerfEventArray");
  const perf = await ringbufBench(undefined, undefined, "perf");
  process.stderr.write("bench: bpftsc run vs bpftrace...\n");
  console.log("");
  await runVsBpftrace();
  console.log(`goals: no lost records (ring buffer: ${ring.lost} lost, perf buffer: ${perf.lost}); >= 1,000,000 decoded records/s (best ${Math.round(ring.decodeBest).toLocaleString("en-US")}, perf buffer ${Math.round(perf.decodeBest).toLocaleString("en-US")}); start-up no slower than bpftrace's (above)`);
}

await main();
