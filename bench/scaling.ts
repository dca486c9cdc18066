// The scaling table: generated handlers (generate.ts) of 10 to 10,000 statements in one
// program, and files of 1, 10 and 100 programs of 30 statements, compiled by bpftsc and
// clang; the TypeScript and the C are written side by side to bench/.build/scaling/.
// In: the toolchain and a run count. Out: per size, median compile time, peak memory and
// the instructions of all programs, for each compiler.

import * as fs from "node:fs";
import * as path from "node:path";
import { bpftsc, clang, type Command, type Toolchain } from "./compilers.js";
import { countInsns } from "./elf.js";
import { generate } from "./generate.js";
import { firstLine, measure, median } from "./measure.js";

export interface Compiled {
  ms: number;
  maxrssKb: number;
  insns: number;
  error?: string;
}

export interface ScalingPoint {
  programs: number;
  statements: number;
  ts: Compiled;
  c: Compiled;
}

/** [programs, statements per program] */
export const SIZES: readonly [number, number][] = [
  [1, 10], [1, 100], [1, 1000], [1, 3000], [1, 10000],
  [1, 30], [10, 30], [100, 30],
];

/** Each command `runs` times, the commands interleaved so that machine load hits them
 *  alike; median time and memory, and the instructions of the object each wrote. */
function compileInterleaved(jobs: { cmd: Command; obj: string }[], runs: number): Compiled[] {
  const ms = jobs.map((): number[] => []), rss = jobs.map((): number[] => []);
  const errors: (string | undefined)[] = jobs.map(() => undefined);
  for (let i = 0; i < runs; i++) {
    jobs.forEach((j, k) => {
      if (errors[k]) return;
      const r = measure(...j.cmd);
      if (r.status !== 0) errors[k] = `exit ${r.status}: ${firstLine(r.stderr)}`;
      ms[k]!.push(r.ms);
      rss[k]!.push(r.maxrssKb);
    });
  }
  return jobs.map((j, k) => {
    const error = errors[k];
    if (error) return { ms: NaN, maxrssKb: NaN, insns: NaN, error };
    const insns = [...countInsns(j.obj).values()].reduce((a, b) => a + b, 0);
    return { ms: median(ms[k]!), maxrssKb: median(rss[k]!), insns };
  });
}

export function benchScaling(tc: Toolchain, runs: number, build: string, progress: (s: string) => void): ScalingPoint[] {
  const dir = path.join(build, "scaling");
  fs.mkdirSync(dir, { recursive: true });
  return SIZES.map(([programs, statements]) => {
    progress(`scaling: ${programs} program(s) x ${statements} statement(s)`);
    const base = path.join(dir, `p${programs}-s${statements}`);
    const g = generate(programs, statements);
    fs.writeFileSync(`${base}.ts`, g.ts);
    fs.writeFileSync(`${base}.bpf.c`, g.c);
    const [ts, c] = compileInterleaved([
      { cmd: bpftsc(tc, `${base}.ts`, `${base}.bpftsc.o`), obj: `${base}.bpftsc.o` },
      { cmd: clang(tc, `${base}.bpf.c`, `${base}.clang.o`), obj: `${base}.clang.o` },
    ], runs);
    return { programs, statements, ts: ts!, c: c! };
  });
}
