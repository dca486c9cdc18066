// The command line compiles a file of several programs with the backend shared between
// its thread and a worker (compiler/backend-pool.ts); the library, run from sources here,
// compiles on one thread. Both must give the same object, listing, IR and diagnostics.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { REPO_ROOT, runLoader } from "../harness/harness.js";
import { ensureBuilt } from "./run-helper.js";

const BIN = path.join(REPO_ROOT, "bin", "bpftsc.js");

function bpftsc(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, BPFTSC_CACHE_DIR: path.join(cwd, ".cache") } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three programs, the second with a frame over 512 bytes. */
const ONE_REFUSED = `import { kprobe, HashMap, pid, type u32, type u64, type FixedArray } from "bpftsc";
interface Big { words: FixedArray<u64, 80> }
const m = new HashMap<u32, Big>(4);
const calls = new HashMap<u32, u64>(64);
export const first = kprobe("vfs_read", () => { calls.add(pid(), 1); });
export const second = kprobe("vfs_write", () => {
  const v = m.get(0);
  if (v !== undefined) {
    const copy: Big = v;
    m.set(1, copy);
  }
});
export const third = kprobe("vfs_open", () => { calls.add(pid() + 1, 2); });
`;

describe("the backend worker of the command line", () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-parallel-"));
  });

  it("is built beside the compiler's bundle", () => {
    expect(fs.existsSync(path.join(REPO_ROOT, "dist", "backend-worker.cjs"))).toBe(true);
  });

  for (const name of ["memleak", "sigsnoop", "execsnoop"]) {
    it(`${name}: the object and listing are those of a one-thread compile, and the object loads`, () => {
      const file = path.join(REPO_ROOT, "examples", `${name}.ts`);
      const out = path.join(dir, `${name}.o`);
      const r = bpftsc([file, "-o", out, "-S"], dir);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const inline = compile({ fileName: file, source: fs.readFileSync(file, "utf8") });
      expect(inline.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(Buffer.from(fs.readFileSync(out)).equals(Buffer.from(inline.object!))).toBe(true);
      expect(r.stdout).toBe(inline.listing);
      const loaded = runLoader(out);
      expect(loaded.programs.length).toBeGreaterThan(1);
    });
  }

  it("--dump-ir prints every function's IR in the one-thread order", () => {
    const file = path.join(REPO_ROOT, "examples", "runqlat.ts");
    const r = bpftsc([file, "-o", path.join(dir, "runqlat.o"), "--dump-ir"], dir);
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
    expect(r.stderr).toContain(`refused.ts(9,11): error BPF5001: ${errors[0]!.message}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
