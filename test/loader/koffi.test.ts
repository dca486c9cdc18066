// loader/koffi.ts: on this glibc Linux, koffi comes from its prebuilt koffi.node, required
// directly (koffi's own loader, index.cjs, is never read), at the version bpftsc's
// package.json depends on, and it calls into C.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../harness/harness.js";
import { ensureBuilt } from "../cli/run-helper.js";

it("loads koffi's prebuilt module without koffi's loader", () => {
  ensureBuilt();
  const url = pathToFileURL(path.join(REPO_ROOT, "dist", "loader", "koffi.js")).href;
  const script = `import { createRequire } from "node:module";
const { loadKoffi } = await import(${JSON.stringify(url)});
const koffi = loadKoffi();
const getpid = koffi.load("libc.so.6").func("int getpid(void)");
console.log(JSON.stringify({ version: koffi.version, pid: getpid() === process.pid, files: Object.keys(createRequire(import.meta.url).cache) }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  const got = JSON.parse(r.stdout) as { version: string; pid: boolean; files: string[] };
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  expect(got.version).toBe(pkg.dependencies.koffi);
  expect(got.pid).toBe(true);
  expect(got.files.filter((f) => f.endsWith("koffi.node"))).toHaveLength(1);
  expect(got.files.filter((f) => /[\\/]koffi[\\/]/.test(f))).toEqual([]);
});
