// The V8 code cache bin/bpftsc.js loads the bundles and typescript.js through
// (cli/code-cache.ts), for real: a run stores one for each; a run whose object comes
// from the compile cache loads neither the compiler's bundle nor typescript.js (their
// caches, removed, are not written again); a compile keeps a cache of dist/bpftsc.cjs
// apart from run's; writing a cache removes those of older builds but the newest; a
// cached file is read as Latin-1 only when it is ASCII (the same text either way).

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../harness/harness.js";
import { RUN_DIR, bpftscRun, ensureBuilt, runFixture } from "./run-helper.js";

const CACHE = path.join(RUN_DIR, "code-cache");
const ENV = { BPFTSC_CACHE_DIR: CACHE, BPFTSC_CACHE_LOG: "1" };

let target: string, probe: string;

/** The code caches there are, by what they cache ("bpftsc.cjs-run", "typescript.js", ...). */
const caches = (): string[] => readdirSync(CACHE).filter((f) => f.endsWith(".v8cache")).map((f) => f.replace(/-[0-9a-f]+\.v8cache$/, "")).sort();

/** A run of the probe with the command to its end: what the compile cache did. */
function run(): string {
  const r = bpftscRun([probe, "-c", target], 60_000, ENV);
  expect(r.stderr).toContain("Attached ");
  expect(r.status).toBe(0);
  return /^bpftsc: compile cache (\w+): /m.exec(r.stderr)![1]!;
}

describe("bpftsc's code cache", () => {
  beforeAll(() => {
    ensureBuilt();
    rmSync(CACHE, { recursive: true, force: true });
    ({ target, probe } = runFixture());
  });

  it("stores one for the bundles and typescript.js a run loaded", () => {
    expect(run()).toBe("miss");
    expect(caches()).toEqual(["bpftsc.cjs-run", "compiler.cjs", "typescript.js"]);
  });

  it("is not needed for the compiler or TypeScript by a run from the compile cache, which loads neither", () => {
    for (const f of readdirSync(CACHE)) if (/^(compiler\.cjs|typescript\.js)-/.test(f)) rmSync(path.join(CACHE, f));
    expect(run()).toBe("hit");
    expect(caches()).toEqual(["bpftsc.cjs-run"]);
  });

  it("keeps a compile's cache of dist/bpftsc.cjs apart from run's", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "bpftsc.js"), probe, "-o", path.join(RUN_DIR, "code-cache.o")], { encoding: "utf8", env: { ...process.env, ...ENV } });
    expect(r.status).toBe(0);
    expect(caches()).toEqual(["bpftsc.cjs", "bpftsc.cjs-run", "compiler.cjs", "typescript.js"]);
  });

  it("keeps the 3 newest caches of a bundle when it writes one: those of older builds go", () => {
    for (const f of readdirSync(CACHE)) if (/^bpftsc\.cjs-[0-9a-f]+\.v8cache$/.test(f)) rmSync(path.join(CACHE, f));
    const stale = [1, 2, 3, 4, 5].map((k) => `bpftsc.cjs-${String(k).repeat(16)}.v8cache`);
    stale.forEach((f, k) => {
      writeFileSync(path.join(CACHE, f), "stale");
      utimesSync(path.join(CACHE, f), 1000 + k, 1000 + k); // 5 is the newest
    });
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "bpftsc.js"), probe, "-o", path.join(RUN_DIR, "code-cache.o")], { encoding: "utf8", env: { ...process.env, ...ENV } });
    expect(r.status).toBe(0);
    const left = readdirSync(CACHE).filter((f) => f.startsWith("bpftsc.cjs-") && !f.startsWith("bpftsc.cjs-run-"));
    expect(left.filter((f) => !stale.includes(f))).toHaveLength(1); // the one this compile wrote
    expect(left.filter((f) => stale.includes(f)).sort()).toEqual([stale[3], stale[4]]);
    expect(caches()).toEqual(["bpftsc.cjs", "bpftsc.cjs", "bpftsc.cjs", "bpftsc.cjs-run", "compiler.cjs", "typescript.js"]);
  });

  it("loads a cached file that is not ASCII as UTF-8, and one that is as the same text", () => {
    const dist = path.join(RUN_DIR, "code-cache-text", "dist");
    mkdirSync(dist, { recursive: true });
    writeFileSync(path.join(dist, "compiler.cjs"), 'module.exports = "caf\u00e9 \u2192 \u{1f41d}";\n');
    writeFileSync(path.join(dist, "bpftsc.cjs"), 'module.exports = "plain ascii";\n');
    const script = `const c = require(${JSON.stringify(path.join(REPO_ROOT, "dist", "code-cache.cjs"))}).installCodeCache(["x.ts"]);
      process.stdout.write(JSON.stringify([require(${JSON.stringify(path.join(dist, "compiler.cjs"))}), require(${JSON.stringify(path.join(dist, "bpftsc.cjs"))})]));
      c.save();`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, BPFTSC_CACHE_DIR: path.join(RUN_DIR, "code-cache-text", "cache") } });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual(["caf\u00e9 \u2192 \u{1f41d}", "plain ascii"]);
  });
});
