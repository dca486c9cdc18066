// The benchmark's two tables as text: per probe and program, bpftsc beside clang with
// ratios (instructions, verifier work, run time per event, compile time, peak memory);
// and the scaling table (compile time, memory and instructions by program size and
// count). Geometric means of the ratios close each column; failures are listed below.
// In: the results. Out: the text.

import type { PairResult, Side } from "./probe-bench.js";
import type { ScalingPoint } from "./scaling.js";
import { Column, WORSE, mb, ms, ns, render } from "./table.js";

export interface ReportHeader {
  cpu: "v3" | "v4";
  clangArgs: string[];
  runs: number;
  eventRuns: number;
  rounds: number;
  scalingRuns: number;
}

function compilerLine(h: ReportHeader): string {
  const flags = ["-O2", "-g", "-target bpf", `-mcpu=${h.cpu}`, ...h.clangArgs].join(" ");
  return `bpftsc --cpu ${h.cpu} vs clang-19 ${flags}`;
}

function notesFor(r: PairResult): string[] {
  const notes: string[] = [];
  const name = r.pair.name;
  if (r.ts.runError && r.ts.runError === r.c.runError?.replaceAll(".clang.o", ".bpftsc.o")) {
    return [`? ${name}: neither object ran under the workload: ${r.ts.runError}`];
  }
  for (const [label, side, mark] of [["bpftsc", r.ts, WORSE], ["clang", r.c, "?"]] as const) {
    const at = `${mark} ${name}: ${label}`;
    if (!side.compiled) notes.push(`${at} did not compile: ${side.error}`);
    else if (side.load && !side.load.ok) notes.push(`${at} object: ${side.load.error}`);
    else if (side.runError) notes.push(`${at} did not run under the workload: ${side.runError}`);
  }
  return notes;
}

/** Fewer events per run than this (a function the workload does not call, seen in
 *  other processes only) leave a program's time per event to chance: not compared. The
 *  workload's rarest events come once per 100 rounds, 200 times in a default run. */
const MIN_EVENTS = 100;

function runCell(col: Column, r: PairResult, prog: string): string {
  const events = Math.min(r.ts.eventsPerRun.get(prog) ?? Infinity, r.c.eventsPerRun.get(prog) ?? Infinity);
  if (events < MIN_EVENTS) return `(${events} events)`;
  return col.cell(r.ts.nsPerEvent.get(prog), r.c.nsPerEvent.get(prog), ns);
}

function kernelCell(side: Side, prog: string, pick: "xlated" | "verified"): number | undefined {
  return side.load?.ok ? side.load.progs.get(prog)?.[pick] : undefined;
}

export function probeTable(results: PairResult[], h: ReportHeader): string {
  const head = ["probe", "program", "insns", "verified insns", "ns/event", "compile ms", "maxrss MB", "clang lean-hdr ms"];
  const cols = { insns: new Column(), verified: new Column(), run: new Column(), ms: new Column(), rss: new Column(), lean: new Column() };
  const rows: (string[] | null)[] = [];
  const notes: string[] = [];
  let group = results[0]?.pair.group;
  for (const r of results) {
    if (r.pair.group !== group) { rows.push(null); group = r.pair.group; }
    notes.push(...notesFor(r));
    const progs = [...new Set([...r.ts.insns.keys(), ...r.c.insns.keys()])];
    if (progs.length === 0) progs.push("-");
    const tsMs = r.ts.compiled ? r.ts.ms : undefined, cMs = r.c.compiled ? r.c.ms : undefined;
    progs.forEach((prog, i) => {
      const first = i === 0;
      rows.push([
        first ? r.pair.name : "",
        prog,
        cols.insns.cell(r.ts.insns.get(prog), r.c.insns.get(prog)),
        cols.verified.cell(kernelCell(r.ts, prog, "verified"), kernelCell(r.c, prog, "verified")),
        runCell(cols.run, r, prog),
        first ? cols.ms.cell(tsMs, cMs, ms) : "",
        first ? cols.rss.cell(r.ts.compiled ? r.ts.maxrssKb : undefined, r.c.compiled ? r.c.maxrssKb : undefined, mb) : "",
        first ? cols.lean.cell(tsMs, r.c.leanMs, ms) : "",
      ]);
    });
  }
  rows.push(null);
  rows.push(["geomean", "", cols.insns.geomean(), cols.verified.geomean(), cols.run.geomean(), cols.ms.geomean(), cols.rss.geomean(), cols.lean.geomean()]);
  return [
    `${compilerLine(h)}  (cells: bpftsc/clang (ratio), ${WORSE} = bpftsc worse, ? = no comparison)`,
    render(head, rows),
    "insns: ELF instructions (ld_imm64 = 1), with the subprograms a program calls; verified insns: bpf_prog_info.verified_insns after load;",
    `ns/event: bpf_prog_info run_time_ns / run_cnt, kernel.bpf_stats_enabled=1, programs attached while \`workload ${h.rounds}\` runs`,
    `  (the two objects attached together, each first in ${h.eventRuns} of ${2 * h.eventRuns} runs; per program the geometric`,
    `  mean of its medians attached first and attached second; compared where it ran ${MIN_EVENTS} times a run or more;`,
    "  uprobes on libc and kprobes count every process's events);",
    `compile: whole command, median of ${h.runs} runs; maxrss: peak resident memory (GNU time %M);`,
    "clang lean-hdr: bpftsc against clang with the few UAPI headers a probe needs instead of vmlinux.h.",
    ...notes,
  ].join("\n");
}

export function scalingTable(points: ScalingPoint[], h: ReportHeader): string {
  const head = ["programs x statements", "compile ms", "maxrss MB", "insns"];
  const cols = { ms: new Column(), rss: new Column(), insns: new Column() };
  const rows: (string[] | null)[] = [];
  const notes: string[] = [];
  points.forEach((p, i) => {
    // A rule between the rows by statements and those by programs.
    if (i > 0 && p.statements < points[i - 1]!.statements) rows.push(null);
    const size = `${p.programs} x ${p.statements}`;
    for (const [label, c] of [["bpftsc", p.ts], ["clang", p.c]] as const) if (c.error) notes.push(`${label === "bpftsc" ? WORSE : "?"} ${size}: ${label} ${c.error}`);
    rows.push([size, cols.ms.cell(p.ts.ms, p.c.ms, ms), cols.rss.cell(p.ts.maxrssKb, p.c.maxrssKb, mb), cols.insns.cell(p.ts.insns, p.c.insns)]);
  });
  rows.push(null);
  rows.push(["geomean", cols.ms.geomean(), cols.rss.geomean(), cols.insns.geomean()]);
  return [
    `Scaling: generated handlers (bench/generate.ts; sources in bench/.build/scaling/), ${compilerLine(h)}`,
    render(head, rows),
    `compile: whole command, median of ${h.scalingRuns} runs; insns: all programs of the file.`,
    ...notes,
  ].join("\n");
}
