// scripts/indexed-loops.mjs, the bundle's rewrite of for-of loops over arrays: which loops
// it rewrites, and that a program rewritten prints what it printed before.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a build script, plain JavaScript without declarations
import { indexedLoops } from "../../scripts/indexed-loops.mjs";

const SOURCE = `
declare const console: { log(s: string): void };
const out: string[] = [];
const xs: number[] = [1, 2, 3];
for (const x of xs) out.push("array " + x);
const pair: [string, number] = ["a", 1];
for (const p of pair) out.push("tuple " + p);
const either: number[] | readonly string[] = Math.random() < 2 ? ["s", "t"] : [];
for (const e of either) out.push("union " + e);
for (const [k, v] of [[1, 2], [3, 4]]) out.push("destructured " + k + v);
const grow = [1];
for (const g of grow) { if (g < 4) grow.push(g + 1); out.push("grown " + g); }
outer: for (const a of [1, 2, 3]) { for (const b of [1, 2]) { if (b === a) continue outer; out.push("pair " + a + b); } }
const fns: (() => number)[] = [];
for (let i of [7, 8]) { fns.push(() => i); i++; }
out.push("closures " + fns.map((f) => f()).join(","));
for (const c of "hé") out.push("string " + c);
for (const s of new Set([5, 6])) out.push("set " + s);
for (const [mk, mv] of new Map([["m", 9]])) out.push("map " + mk + mv);
for (const u of new Uint8Array([4])) out.push("bytes " + u);
let outside = 0;
for (outside of [10, 11]) out.push("assigned " + outside);
function* gen() { yield 12; }
for (const y of gen()) out.push("generator " + y);
console.log(out.join("\\n"));
`;

/** The loops over arrays, tuples and unions of them (the inner one of the labelled pair
 *  too); the rest are not over arrays, or assign a variable declared outside the loop. */
const REWRITTEN = 8;

const dir = mkdtempSync(join(tmpdir(), "bpftsc-loops-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a TypeScript text prints when run. */
function run(text: string): string {
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
  const lines: string[] = [];
  new Function("console", js)({ log: (s: string) => lines.push(s) });
  return lines.join("\n");
}

describe("indexed loops in the bundle", () => {
  const file = join(dir, "loops.ts");
  writeFileSync(file, SOURCE);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", strict: true, lib: ["es2022"], types: [] }, files: ["loops.ts"] }));
  const loops = indexedLoops(join(dir, "tsconfig.json"));
  const rewritten: string = loops.rewrite(file);

  it("rewrites the loops over arrays only", () => {
    expect(loops.count()).toBe(REWRITTEN);
    const forOf = rewritten.match(/for \((const|let)? ?[^;()]* of /g) ?? [];
    // string, Set, Map, Uint8Array, the assigned variable, the generator.
    expect(forOf.length).toBe(6);
    expect(rewritten).toContain("for (const c of \"hé\")");
  });

  it("leaves what the program does unchanged", () => {
    const before = run(SOURCE);
    expect(before).toContain("grown 4");
    expect(before).toContain("closures 8,9");
    expect(run(rewritten)).toBe(before);
  });

  it("is undefined for a file outside the program", () => {
    expect(loops.rewrite(join(dir, "other.ts"))).toBeUndefined();
  });
});
