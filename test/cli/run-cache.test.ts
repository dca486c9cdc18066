// `bpftsc run`'s cache of compiled objects (cli/compile-cache.ts), for real: a second run
// of an unchanged probe takes its object from the cache (as $BPFTSC_CACHE_LOG says) and
// still shows the compile's warnings; changing the probe or a file it imports compiles
// anew (a same-sized edit too: an entry keeps its inputs' contents); a corrupt entry, or
// one whose kept contents are cut short, is ignored and replaced; a tracepoint format
// that changed, found once the cached object is open, compiles anew; --no-cache neither reads nor writes it.

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureTracefs } from "../harness/harness.js";
import { RUN_DIR, bpftscRun, ensureBuilt, runFixture, writeProbe } from "./run-helper.js";

const CACHE = path.join(RUN_DIR, "compile-cache");
const ENV = { BPFTSC_CACHE_DIR: CACHE, BPFTSC_CACHE_LOG: "1" };
const LIMITS = "import type { u32 } from \"bpftsc\";\nexport interface Limits { min: u32; max: u32 }\n";
const TRACEPOINT_PROBE = `import { tracepoint, ArrayMap, type u64 } from "bpftsc";
export const calls = new ArrayMap<u64>(1);
export const onGetppid = tracepoint("syscalls", "sys_enter_getppid", () => { calls.add(0, 1); });
`;
const WARNING = "value 1 has 64 bits; '%d' prints its low 32";

let target: string, probe: string, limits: string;

function probeSource(body = "const x: u64 = i;\n  printk(\"tick %d\", x);"): string {
  return `import { uprobe, printk, type u32, type u64 } from "bpftsc";
import type { Limits } from "./limits.ts";
export const limits: Limits = { min: 1, max: 2 };
export const onTick = uprobe(${JSON.stringify(target)}, "tick", (i: u32) => {
  ${body}
});
`;
}

/** A run of the probe with the command to its end: what the cache did, and what it printed. */
function run(...extra: string[]) {
  const r = bpftscRun([probe, "-c", target, ...extra], 60_000, ENV);
  expect(r.stderr).toContain("Attached 1 program");
  expect(r.status).toBe(0);
  const cache = [...r.stderr.matchAll(/^bpftsc: compile cache (\w+): /gm)].map((m) => m[1]);
  return { ...r, cache };
}

const entries = (): string[] => readdirSync(path.join(CACHE, "compiled"));

describe("bpftsc run's compile cache", () => {
  beforeAll(() => {
    ensureBuilt();
    rmSync(CACHE, { recursive: true, force: true });
    target = runFixture().target;
    limits = writeProbe("limits.ts", LIMITS);
    probe = writeProbe("cached-probe.ts", probeSource());
  });

  it("stores a compile, then uses it, showing its warnings each time", () => {
    const first = run();
    expect(first.cache).toEqual(["miss", "stored"]);
    expect(first.stderr).toContain(WARNING);
    expect(first.stdout).toContain("limits: { min: 1, max: 2 }");
    expect(entries()).toHaveLength(1);
    const second = run();
    expect(second.cache).toEqual(["hit"]);
    expect(second.stderr).toContain(WARNING);
    expect(second.stdout).toBe(first.stdout);
  });

  it("compiles anew when a file the probe imports changes", () => {
    run();
    writeFileSync(limits, LIMITS.replace("min: u32; max: u32", "max: u32; min: u32"));
    const changed = run();
    expect(changed.cache).toEqual(["miss", "stored"]);
    expect(changed.stdout).toContain("limits: { max: 2, min: 1 }");
    expect(run().cache).toEqual(["hit"]);
    writeFileSync(limits, LIMITS);
  });

  it("compiles anew when the probe changes, and keeps no warning it no longer has", () => {
    writeProbe("cached-probe.ts", probeSource("printk(\"tick %d\", i);"));
    const changed = run();
    expect(changed.cache).toEqual(["miss", "stored"]);
    expect(changed.stderr).not.toContain(WARNING);
    expect(run().stderr).not.toContain(WARNING);
    writeProbe("cached-probe.ts", probeSource());
  });

  it("ignores a corrupt entry and replaces it", () => {
    run();
    for (const e of entries()) writeFileSync(path.join(CACHE, "compiled", e), "{\"format\": \"something else\"");
    expect(run().cache).toEqual(["miss", "stored"]);
    expect(run().cache).toEqual(["hit"]);
    // The inputs' contents it keeps after its JSON line, cut short.
    for (const e of entries()) {
      const file = path.join(CACHE, "compiled", e);
      writeFileSync(file, readFileSync(file).subarray(0, -1));
    }
    expect(run().cache).toEqual(["miss", "stored"]);
    expect(run().cache).toEqual(["hit"]);
  });

  it("compiles anew when a tracepoint's format, read once the cached object is open, changed", () => {
    const tracefs = path.join(RUN_DIR, "cache-tracefs");
    const format = path.join(tracefs, "events", "syscalls", "sys_enter_getppid", "format");
    mkdirSync(path.dirname(format), { recursive: true });
    const real = readFileSync(path.join(ensureTracefs(), "events", "syscalls", "sys_enter_getppid", "format"), "utf8");
    writeFileSync(format, real);
    const tp = writeProbe("cached-tp.ts", TRACEPOINT_PROBE);
    const runTp = () => {
      const r = bpftscRun([tp, "-c", "true"], 60_000, { ...ENV, BPFTSC_TRACEFS: tracefs });
      expect([r.status, r.stderr]).toEqual([0, expect.stringContaining("Attached 1 program")]);
      return [...r.stderr.matchAll(/^bpftsc: compile cache (\w+): /gm)].map((m) => m[1]);
    };
    expect(runTp()).toEqual(["miss", "stored"]);
    expect(runTp()).toEqual(["hit"]);
    writeFileSync(format, `${real}\n`);
    expect(runTp()).toEqual(["hit", "stale", "stored"]);
    expect(runTp()).toEqual(["hit"]);
  });

  it("--no-cache neither reads nor writes it", () => {
    rmSync(CACHE, { recursive: true, force: true });
    const r = run("--no-cache");
    expect(r.cache).toEqual([]);
    expect(r.stderr).toContain(WARNING);
    expect(() => entries()).toThrow();
  });
});
