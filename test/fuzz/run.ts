// The differential fuzzer by hand (`npm run fuzz -- --seed N --count M`): generates
// programs from seeds N .. N+M-1, runs them in batches against the reference, and
// prints every failure in full and a summary. Needs root, like the e2e tests.
//
//   --seed N      first seed (default 1)          --count M    programs (default 200)
//   --batch B     programs per object (default 20)
//   --print       print each program and what the reference expects, without running
//   --minimize    shrink each failing program to a smaller one that fails the same way
//   --out FILE    also write the failures (minimized if asked) to FILE

import * as fs from "node:fs";
import { generate } from "./generate.js";
import { minimize } from "./minimize.js";
import { printProgram } from "./print.js";
import { evaluate } from "./reference.js";
import { fuzzTarget, runBatch, type OutcomeKind } from "./run-batch.js";

// An option this script does not know (--known-bugs, gone with the last known bug) is
// an error, not a run of something else than what was asked.
const KNOWN = new Set(["--seed", "--count", "--batch", "--print", "--minimize", "--out"]);
const unknown = process.argv.slice(2).filter((a, k, all) => a.startsWith("--") && !KNOWN.has(a) && !["--seed", "--count", "--batch", "--out"].includes(all[k - 1] ?? ""));
if (unknown.length > 0) {
  process.stderr.write(`fuzz: unknown option ${unknown.join(", ")} (options: ${[...KNOWN].join(" ")})\n`);
  process.exit(2);
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const outFile = process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1] : undefined;

const first = option("seed", 1), count = option("count", 200), batch = option("batch", 20);

if (flag("print")) {
  for (let s = first; s < first + count; s++) {
    const p = generate(s);
    console.log(printProgram(p, 0, "TARGET"));
    const want = evaluate(p);
    console.log(`// expected out: [${want.out.join(", ")}]`);
    console.log(`// expected globals: ${[...want.globals].map(([n, v]) => `${n}=[${v.join(", ")}]`).join(" ")}`);
  }
  process.exit(0);
}

const target = fuzzTarget();
const tally = new Map<OutcomeKind, number>();
const failures: string[] = [];
const started = Date.now();
for (let s = first; s < first + count; s += batch) {
  const programs = Array.from({ length: Math.min(batch, first + count - s) }, (_, k) => generate(s + k));
  for (const o of runBatch(programs, target)) {
    tally.set(o.kind, (tally.get(o.kind) ?? 0) + 1);
    if (o.kind === "ok") continue;
    const shown = flag("minimize") ? minimize(o, target) : o;
    const text = `==== ${o.kind} ${shown === o ? "" : "(minimized) "}====\n${shown.detail}\n`;
    console.log(text);
    failures.push(text);
  }
  const done = Math.min(s + batch, first + count) - first;
  process.stderr.write(`\r${done}/${count} programs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
process.stderr.write("\n");
if (outFile) fs.writeFileSync(outFile, failures.join("\n"));
const summary = [...tally].map(([k, n]) => `${n} ${k}`).join(", ");
console.log(`seeds ${first}..${first + count - 1}: ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failures.length ? 1 : 0);
