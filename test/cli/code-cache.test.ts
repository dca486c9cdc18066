// The V8 code cache bin/bpftsc.js loads the bundle and typescript.js through
// (cli/code-cache.ts), for real: `bpftsc run`'s cache of the bundle is written by a run
// whose object came from the compile cache, never by one that compiled (it would hold the
// compiler's functions too); such a run does not load typescript.js at all (its code
// cache, removed, is not written again); a compile keeps a cache of the bundle of its own.

import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../harness/harness.js";
import { RUN_DIR, bpftscRun, ensureBuilt, runFixture } from "./run-helper.js";

const CACHE = path.join(RUN_DIR, "code-cache");
const ENV = { BPFTSC_CACHE_DIR: CACHE, BPFTSC_CACHE_LOG: "1" };

let target: string, probe: string;

/** The code caches there are, by what they cache ("bpftsc.cjs-run", "typescript.js", ...). */
const caches = (): string[] => readdirSync(CACHE).filter((f) => f.endsWith(".v8cache")).map((f) => f.replace(/-[0-9a-f]+\.v8cache$/, "")).sort();

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

  it("keeps run's cache of the bundle from a run that did not compile", () => {
    expect(run()).toBe("miss");
    expect(caches()).toEqual(["typescript.js"]);
    expect(run()).toBe("hit");
    expect(caches()).toEqual(["bpftsc.cjs-run", "typescript.js"]);
  });

  it("does not load the TypeScript compiler for a run from the compile cache", () => {
    for (const f of readdirSync(CACHE)) if (f.startsWith("typescript.js-")) rmSync(path.join(CACHE, f));
    expect(run()).toBe("hit");
    expect(caches()).toEqual(["bpftsc.cjs-run"]);
  });

  it("keeps a compile's cache of the bundle apart", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "bpftsc.js"), probe, "-o", path.join(RUN_DIR, "code-cache.o")], { encoding: "utf8", env: { ...process.env, ...ENV } });
    expect(r.status).toBe(0);
    expect(caches()).toEqual(["bpftsc.cjs", "bpftsc.cjs-run", "typescript.js"]);
  });
});
