// The loader's types, checked by tsc in one run over two files: typed-api.ts as it is
// must compile cleanly (each line marked @ts-expect-error refused, the rest accepted), and
// a copy without the markers must be refused exactly at the marked lines, for the
// reasons the markers give.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_DIR, REPO_ROOT } from "../harness/harness.js";

const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
const SOURCE = path.join(REPO_ROOT, "test", "loader", "typed-api.ts");
const MARKER = /^\s*\/\/ @ts-expect-error/;

/** typed-api.ts without its markers, importing by absolute path (it lives elsewhere). */
function unmarkedCopy(dir: string): { file: string; marked: number[] } {
  const lines = fs.readFileSync(SOURCE, "utf8").split("\n");
  const marked = lines.flatMap((l, i) => (MARKER.test(l) ? [i + 2] : [])); // the 1-based line after each marker
  const text = lines
    .map((l) => (MARKER.test(l) ? "" : l))
    .join("\n")
    .replace('"../../loader/index.js"', JSON.stringify(path.join(REPO_ROOT, "loader", "index.js")))
    .replace('"./probes/stats.ts"', JSON.stringify(path.join(REPO_ROOT, "test", "loader", "probes", "stats.ts")))
    .replace('"./probes/events.ts"', JSON.stringify(path.join(REPO_ROOT, "test", "loader", "probes", "events.ts")));
  const file = path.join(dir, "typed-api-unmarked.ts");
  fs.writeFileSync(file, text);
  return { file, marked };
}

describe("typed from the probe file", () => {
  it("tsc accepts typed-api.ts, and refuses each marked line once the marker is gone", () => {
    const dir = path.join(BUILD_DIR, `loader-types-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    const { file, marked } = unmarkedCopy(dir);
    const config = path.join(dir, "tsconfig.json");
    fs.writeFileSync(config, JSON.stringify({ extends: path.join(REPO_ROOT, "tsconfig.json"), compilerOptions: { noEmit: true }, include: [], files: [SOURCE, file] }));
    const r = spawnSync(process.execPath, [TSC, "-p", config], { encoding: "utf8", cwd: REPO_ROOT });
    const out = r.stdout + r.stderr;

    expect(out).not.toContain("typed-api.ts(");
    const errorLines = [...new Set([...out.matchAll(/typed-api-unmarked\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))];
    expect(errorLines).toEqual(marked);
    expect(marked.length).toBeGreaterThanOrEqual(10);
    expect(out).toMatch(/Argument of type 'string' is not assignable to parameter of type 'number'/);
    expect(out).toMatch(/Type 'bigint \| undefined' is not assignable to type 'number \| undefined'/);
    expect(out).toMatch(/Property 'lastDelta' is missing/);
    expect(out).toMatch(/Type 'bigint\[\] \| undefined' is not assignable to type 'bigint \| undefined'/);
    expect(out).toMatch(/Property 'pid' does not exist on type '\{ i: number; scaled: bigint; name: string; \}'/);
    expect(out).toMatch(/Argument of type 'number' is not assignable to parameter of type 'string'/);
    expect(out).toMatch(/Property 'lost' does not exist on type 'RingBuffer</);
    expect(out).toMatch(/Property 'counts' does not exist/);
    expect(out).toMatch(/Argument of type '"onWrite"' is not assignable/);
    expect(r.status).toBe(2);
  });
});
