// Probe files are plain TypeScript: the examples typecheck with plain `tsc --noEmit`
// against the package's runtime types (resolved as the package "bpftsc"), and a type
// error in a probe is reported by tsc just as bpftsc reports it.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_DIR, REPO_ROOT } from "../harness/harness.js";

const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

function tsc(project: string) {
  const r = spawnSync(process.execPath, [TSC, "-p", project], { encoding: "utf8", cwd: REPO_ROOT });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("probe files typecheck with plain tsc", () => {
  it("the examples", () => {
    const r = tsc(path.join(REPO_ROOT, "examples", "tsconfig.json"));
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  it("a probe with a type error fails the same way", () => {
    const dir = path.join(BUILD_DIR, `typecheck-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, "examples", "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.writeFileSync(path.join(dir, "probe.ts"), `import { kprobe, HashMap, type u32, type u64 } from "bpftsc";
const m = new HashMap<u32, u64>(16);
export const p = kprobe("vfs_read", () => {
  const v = m.get(1);
  m.set(2, v + 1);
});
`);
    const r = tsc(path.join(dir, "tsconfig.json"));
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/probe\.ts\(5,12\): error TS18048: 'v' is possibly 'undefined'\./);
  });
});
