// One probe pair through both compilers and the kernel: compile time (median of N whole
// runs, interleaved so that machine load hits both alike, after one unmeasured warm-up)
// and peak memory; instructions per program; the verifier's work; run time per event
// under the workload: the two objects attached together, so that both run on every event
// of the same runs, each attached first in half of them (the place changes the time by
// some 30%); per program, the geometric mean of its medians in the two places.
// In: a pair, the toolchain, the loader and workload, the run counts. Out: both sides.

import * as path from "node:path";
import { clang, bpftsc, type Command, type Toolchain } from "./compilers.js";
import { countInsns } from "./elf.js";
import { loadStats, runTimes, type KernelResult, type ProgStats } from "./kernel.js";
import { firstLine, measure, median } from "./measure.js";
import type { ProbePair } from "./probes.js";
import { geomean } from "./table.js";

export interface Side {
  compiled: boolean;
  error?: string;
  ms: number;
  maxrssKb: number;
  /** clang only: the same C with the lean UAPI headers instead of vmlinux.h. */
  leanMs?: number;
  insns: Map<string, number>;
  load?: KernelResult;
  /** Nanoseconds per event per program (over the attached runs, see benchPair). */
  nsPerEvent: Map<string, number>;
  /** Events per run per program (the median over the runs). */
  eventsPerRun: Map<string, number>;
  runError?: string;
}

export interface PairResult {
  pair: ProbePair;
  ts: Side;
  c: Side;
}

export interface PairOptions {
  runs: number;
  eventRuns: number;
  workload: string[];
  loader: string;
}

function emptySide(): Side {
  return { compiled: true, ms: NaN, maxrssKb: NaN, insns: new Map(), nsPerEvent: new Map(), eventsPerRun: new Map() };
}

/** Compiles `times` times; median time and memory, or the first failure. */
function compileRuns(side: Side, cmd: Command, times: number[], rss: number[], label: string): void {
  if (!side.compiled) return;
  const r = measure(...cmd);
  if (r.status !== 0) {
    side.compiled = false;
    side.error = `${label} exit ${r.status}: ${firstLine(r.stderr)}`;
    return;
  }
  times.push(r.ms);
  rss.push(r.maxrssKb);
}

export function benchPair(pair: ProbePair, tc: Toolchain, opts: PairOptions, tmp: string): PairResult {
  const tsObj = path.join(tmp, `${pair.name}.bpftsc.o`);
  const cObj = path.join(tmp, `${pair.name}.clang.o`);
  const tsCmd = bpftsc(tc, pair.ts, tsObj);
  const cCmd = clang(tc, pair.c, cObj);
  const leanCmd = clang(tc, pair.c, `${cObj}.lean`, "lean");
  const ts = emptySide(), c = emptySide();
  measure(...tsCmd);
  measure(...cCmd);
  const tsMs: number[] = [], tsRss: number[] = [], cMs: number[] = [], cRss: number[] = [], leanMs: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    compileRuns(ts, tsCmd, tsMs, tsRss, "bpftsc");
    compileRuns(c, cCmd, cMs, cRss, "clang");
    const l = measure(...leanCmd);
    if (l.status === 0) leanMs.push(l.ms);
  }
  if (leanMs.length) c.leanMs = median(leanMs);
  for (const [side, obj, times, rss] of [[ts, tsObj, tsMs, tsRss], [c, cObj, cMs, cRss]] as const) {
    if (!side.compiled) continue;
    side.ms = median(times);
    side.maxrssKb = median(rss);
    side.insns = countInsns(obj);
    side.load = loadStats(opts.loader, obj);
  }
  // Run time: both objects attached to the same workload, in both orders; an object
  // the other cannot join (it did not load) is attached alone. Samples are kept by the
  // place the object was attached in, and each program's time is the geometric mean of
  // its median in each place, so that neither object gains from the order.
  const samples = new Map<Side, Map<string, { ns: number[][]; events: number[] }>>([[ts, new Map()], [c, new Map()]]);
  const add = (side: Side, place: number, progs: Map<string, ProgStats>): void => {
    for (const [prog, s] of progs) {
      if (s.nsPerRun === undefined) continue;
      const got = samples.get(side)!.get(prog) ?? { ns: [[], []], events: [] };
      got.ns[place]!.push(s.nsPerRun);
      got.events.push(s.runs!);
      samples.get(side)!.set(prog, got);
    }
  };
  let runnable: [Side, string][] = ([[ts, tsObj], [c, cObj]] as [Side, string][]).filter(([side]) => side.load?.ok);
  for (let k = 0; k < 2 * opts.eventRuns && runnable.length > 0; k++) {
    const [first, second] = k % 2 === 0 ? runnable : [...runnable].reverse();
    const r = runTimes(opts.loader, first![1], opts.workload, second?.[1]);
    if (r.ok) {
      add(first![0], 0, r.progs);
      if (second && r.beside) add(second[0], 1, r.beside);
      continue;
    }
    // Whose failure it is: each attached alone; both failing only together get its error.
    for (const [side, obj] of runnable) {
      const alone = second ? runTimes(opts.loader, obj, opts.workload) : r;
      if (!alone.ok) side.runError = alone.error;
    }
    if (runnable.every(([side]) => !side.runError)) for (const [side] of runnable) side.runError = r.error;
    runnable = runnable.filter(([side]) => !side.runError);
  }
  for (const [side, byProg] of samples) {
    for (const [prog, { ns, events }] of byProg) {
      const t = geomean(ns.filter((xs) => xs.length > 0).map(median));
      if (t !== undefined) side.nsPerEvent.set(prog, t);
      side.eventsPerRun.set(prog, median(events));
    }
  }
  return { pair, ts, c };
}
