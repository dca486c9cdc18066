// Finds the installed bpftsc package's root directory (where package.json and
// runtime-types/ are), from wherever this code runs: compiler/ under tsx, dist/compiler/
// after tsc, or the dist/bpftsc.cjs bundle.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "runtime-types", "index.d.ts")) && existsSync(join(dir, "package.json"))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error("bpftsc: cannot find its package directory (runtime-types/ beside package.json)");
}
