// Runs generated programs for real and compares them with the reference: prints a batch
// into one probe file, compiles it with bpftsc in-process, loads it, attaches every
// handler to the target's fz() and runs the target once with every program's calls,
// then checks each program's out map, globals and HashMaps against evaluate(). A program the
// compiler refuses or crashes on, or the verifier rejects, is an outcome of its own
// (the rest of the batch is run again without it).

import * as fs from "node:fs";
import * as path from "node:path";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { BUILD_DIR, LoaderError, buildTarget, decodeInt, decodeUnsigned, encodeInt, getGlobal, getMap, runLoader, type IntType, type LoaderResult } from "../harness/harness.js";
import type { Program, ScalarName } from "./ast.js";
import { outMapName, printBatch, printProgram } from "./print.js";
import { evaluate, type Expected } from "./reference.js";
import { TARGET_C, TARGET_PARAMS, targetArgv } from "./target.js";

export type OutcomeKind = "ok" | "mismatch" | "refused" | "crashed" | "rejected" | "reference";

export interface Outcome {
  program: Program;
  kind: OutcomeKind;
  /** What went wrong, for a person: the seed, the program, the first difference. */
  detail: string;
}

const OUT_DIR = path.join(BUILD_DIR, "fuzz", `p${process.pid}`);
let batches = 0;

export function fuzzTarget(): string {
  return buildTarget("fuzz-target", TARGET_C);
}

/** Runs `programs` as one object (splitting it when a program fails to build or load). */
export function runBatch(programs: readonly Program[], target: string): Outcome[] {
  const results = new Map<Program, Outcome>();
  const pending: Program[] = [];
  for (const p of programs) {
    try {
      evaluate(p);
      pending.push(p);
    } catch (e) {
      results.set(p, { program: p, kind: "reference", detail: report(p, 0, target, `the reference failed: ${(e as Error).message}`) });
    }
  }
  for (const o of runPrograms(pending, target)) results.set(o.program, o);
  return programs.map((p) => results.get(p)!);
}

function runPrograms(programs: readonly Program[], target: string): Outcome[] {
  if (programs.length === 0) return [];
  const { source, lines } = printBatch(programs, target);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `batch${batches++}.ts`);
  fs.writeFileSync(file, source);
  const alone = (kind: OutcomeKind, why: string): Outcome[] => {
    if (programs.length > 1) return programs.flatMap((p) => runPrograms([p], target));
    return [{ program: programs[0]!, kind, detail: report(programs[0]!, 0, target, why) }];
  };

  let r: ReturnType<typeof compile>;
  try {
    r = compile({ fileName: file, source });
  } catch (e) {
    return alone("crashed", `bpftsc threw: ${(e as Error).stack ?? e}`);
  }
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !r.object) {
    const blamed = programs.filter((_, i) => errors.some((d) => d.line >= lines[i]!.first && d.line <= lines[i]!.last));
    if (blamed.length === 0 || programs.length === 1) return alone("refused", `bpftsc refused it:\n${errors.map(formatDiagnostic).join("\n")}`);
    const refused = blamed.flatMap((p) => runPrograms([p], target));
    return [...refused, ...runPrograms(programs.filter((p) => !blamed.includes(p)), target)];
  }
  const object = file.replace(/\.ts$/, ".o");
  fs.writeFileSync(object, r.object);

  let result: LoaderResult;
  try {
    result = runLoader(object, {
      attach: true,
      command: [target, ...targetArgv(programs.map((p) => p.calls))],
      set: Object.fromEntries(programs.flatMap((p, i) => p.settings.filter((s) => s.set !== undefined).map((s) => [`p${i}_${s.name}`, encodeInt(s.set!, size(s.type))]))),
    });
  } catch (e) {
    if (e instanceof LoaderError) return alone("rejected", `the loader failed at ${e.stage}:\n${tail(e.log)}`);
    throw e;
  }
  if (result.command?.exit_code !== 0) throw new Error(`the fuzz target failed: ${JSON.stringify(result.command)}\n${result.stderr}`);
  return programs.map((p, i) => compareProgram(p, i, target, result));
}

function size(t: ScalarName): number {
  return t === "bool" ? 1 : Number(t.slice(1)) / 8;
}

function compareProgram(p: Program, index: number, target: string, result: LoaderResult): Outcome {
  const want: Expected = evaluate(p);
  const map = getMap(result, outMapName(index));
  const got = new Array<bigint>(want.out.length).fill(0n);
  for (const e of map.entries ?? []) {
    const k = Number(decodeUnsigned(e.key));
    if (k < got.length) got[k] = decodeUnsigned(e.value!);
  }
  const slot = want.out.findIndex((v, k) => v !== got[k]);
  if (slot >= 0) {
    const call = Math.floor(slot / p.slots), at = slot % p.slots;
    const text = printProgram(p, index, target);
    const line = text.split("\n").find((l) => l.includes(`.set(call * ${p.slots} + ${at},`))?.trim();
    return mismatch(p, index, target, `out slot ${at} of call ${call} (map index ${slot}): expected ${hex(want.out[slot]!)}, got ${hex(got[slot]!)}\n  at: ${line}`);
  }
  for (const [name, values] of want.globals) {
    const g = getGlobal(result, `p${index}_${name}`);
    const decl = p.globals.find((x) => x.name === name) ?? p.settings.find((x) => x.name === name)!;
    const t = (typeof decl.type === "object" ? decl.type.elem : decl.type) as IntType;
    const have = values.map((_, k) => decodeInt(g.value, t, k * size(t as ScalarName)));
    if (have.some((v, k) => v !== values[k])) {
      return mismatch(p, index, target, `global ${name}: expected [${values.join(", ")}], got [${have.join(", ")}]`);
    }
  }
  for (const [name, entries] of want.maps) {
    const have = new Map((getMap(result, `p${index}_${name}`).entries ?? []).map((e) => [decodeUnsigned(e.key), decodeUnsigned(e.value!)]));
    const show = (m: Map<bigint, bigint>) => `{${[...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}: ${v}`).join(", ")}}`;
    if (show(have) !== show(entries)) return mismatch(p, index, target, `map ${name}: expected ${show(entries)}, got ${show(have)}`);
  }
  return { program: p, kind: "ok", detail: "" };
}

function mismatch(p: Program, index: number, target: string, what: string): Outcome {
  return { program: p, kind: "mismatch", detail: report(p, index, target, what) };
}

function hex(v: bigint): string {
  return `0x${v.toString(16)} (${BigInt.asIntN(64, v)})`;
}

function tail(log: string): string {
  const lines = log.trimEnd().split("\n");
  return lines.slice(-40).join("\n");
}

/** Everything needed to reproduce an outcome: the seed, the calls' arguments, the program. */
export function report(p: Program, index: number, target: string, what: string): string {
  const calls = p.calls.map((c, k) => `  call ${k}: ${TARGET_PARAMS.map((t, i) => `${t.name}=${BigInt.asIntN(64, c[i]!)}`).join(" ")}`).join("\n");
  return [
    `seed ${p.seed}: ${what}`,
    `reproduce: npx tsx test/fuzz/run.ts --seed ${p.seed} --count 1`,
    `the target's calls (as 64-bit values before C converts them):`,
    calls,
    printProgram(p, index, target),
  ].join("\n");
}
