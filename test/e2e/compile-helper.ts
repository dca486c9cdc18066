// Compiles probe source text with the in-process API and writes the object under
// test/.build/bpftsc/, failing the test with the diagnostics if there are any.

import * as fs from "node:fs";
import * as path from "node:path";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { BUILD_DIR } from "../harness/harness.js";

export const OUT_DIR = path.join(BUILD_DIR, "bpftsc", `p${process.pid}`);

export function compileProbe(name: string, source: string): { object: string; listing: string } {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.ts`);
  fs.writeFileSync(file, source);
  const r = compile({ fileName: file, source });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (!r.object || errors.length) throw new Error(`bpftsc failed on ${name}:\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
  const object = path.join(OUT_DIR, `${name}.o`);
  fs.writeFileSync(object, r.object);
  return { object, listing: r.listing ?? "" };
}
