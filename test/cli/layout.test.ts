// The command line is a room of its own on top of the library: nothing in compiler/ or
// loader/ imports from cli/.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../harness/harness.js";

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

describe("layout", () => {
  it("compiler/ and loader/ never import from cli/", () => {
    const offenders = ["compiler", "loader"].flatMap((d) => tsFiles(path.join(REPO_ROOT, d)))
      .filter((f) => /from\s+["'](?:\.\.\/)+cli\//.test(fs.readFileSync(f, "utf8")))
      .map((f) => path.relative(REPO_ROOT, f));
    expect(offenders).toEqual([]);
  });
});
