// The command line compiles a file of several programs with the backend shared between
// its thread and a worker (compiler/backend-pool.ts, past WORKER_MIN_INSTS of IR); the
// library, run from sources here, compiles on one thread. Both must give the same object,
// listing, IR and diagnostics.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { REPO_ROOT, runLoader } from "../harness/harness.js";
import { generate } from "../../bench/generate.js";
import { EARLY_WORKER_TEXT } from "../../compiler/backend-pool.js";
import { bpftscAt, ensureBuilt } from "./run-helper.js";

const bpftsc = bpftscAt;

/** Generated handlers (the benchmark's scaling set): enough IR to start the worker. */
const GENERATED = generate(10, 30).ts;
/** One handler in a file long enough to start the worker before lowering (EARLY_WORKER_TEXT). */
const ONE_LARGE = generate(1, 1000).ts;

/** The generated handlers, and after them one that needs a frame over 512 bytes. */
const ONE_REFUSED = `${generate(4, 60).ts}
import { type FixedArray } from "bpftsc";
interface Big { words: FixedArray<u64, 80> }
const big = new HashMap<u32, Big>(4);
export const refused = kprobe("vfs_write", () => {
  const v = big.get(0);
  if (v !== undefined) {
    const copy: Big = v;
    big.set(1, copy);
  }
});
`;

describe("the backend worker of the command line", () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-parallel-"));
    fs.writeFileSync(path.join(dir, "generated.ts"), GENERATED);
    fs.writeFileSync(path.join(dir, "one-large.ts"), ONE_LARGE);
  });

  it("the large handler's file is past the early start", () => {
    expect(ONE_LARGE.length).toBeGreaterThanOrEqual(EARLY_WORKER_TEXT);
  });

  it("is built beside the compiler's bundle", () => {
    expect(fs.existsSync(path.join(REPO_ROOT, "dist", "backend-worker.cjs"))).toBe(true);
  });

  for (const [name, programs] of [["memleak", 22], ["generated", 10], ["one-large", 1]] as const) {
    it(`${name}: the object and listing are those of a one-thread compile, and the object loads`, () => {
      const file = name === "memleak" ? path.join(REPO_ROOT, "examples", `${name}.ts`) : path.join(dir, `${name}.ts`);
      const out = path.join(dir, `${name}.o`);
      const r = bpftsc([file, "-o", out, "-S"], dir);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const inline = compile({ fileName: file, source: fs.readFileSync(file, "utf8") });
      expect(inline.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(inline.object!))).toBe(true);
      expect(r.stdout).toBe(inline.listing);
      const loaded = runLoader(out);
      expect(loaded.programs.length).toBe(programs);
    });
  }

  it("--dump-ir prints every function's IR in the one-thread order", () => {
    const file = path.join(dir, "generated.ts");
    const r = bpftsc([file, "-o", path.join(dir, "dumped.o"), "--dump-ir"], dir);
    expect(r.status).toBe(0);
    const inline = compile({ fileName: file, source: fs.readFileSync(file, "utf8"), dumpIr: true });
    expect(inline.ir).toContain("\n");
    expect(r.stdout).toBe(inline.ir);
  });

  it("a program the backend refuses is the same diagnostic, and nothing is written", () => {
    const file = path.join(dir, "refused.ts");
    fs.writeFileSync(file, ONE_REFUSED);
    const r = bpftsc([file, "-o", path.join(dir, "refused.o")], dir);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(dir, "refused.o"))).toBe(false);
    const inline = compile({ fileName: file, source: ONE_REFUSED });
    const errors = inline.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => d.code)).toEqual([5001]);
    const line = ONE_REFUSED.split("\n").indexOf("    const copy: Big = v;") + 1;
    expect(errors.map((d) => [d.line, d.col])).toEqual([[line, 11]]);
    expect(r.stderr).toContain(`refused.ts(${line},11): error BPF5001: ${errors[0]!.message}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
