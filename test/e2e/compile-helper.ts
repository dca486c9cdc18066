// Compiles probe source text with the in-process API and writes the object under
// test/.build/bpftsc/ (or a given directory, against a given kernel BTF, for a given
// architecture and BPF CPU version), failing the test with the diagnostics if there are any.

import * as fs from "node:fs";
import * as path from "node:path";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { BUILD_DIR } from "../harness/harness.js";

export const OUT_DIR = path.join(BUILD_DIR, "bpftsc", `p${process.pid}`);

export interface ProbeOptions {
  /** Where the probe file and its object go (default OUT_DIR), e.g. next to a kernel.d.ts. */
  dir?: string;
  /** Another kernel's BTF (compile's btfPath). */
  btfPath?: string;
  /** The probed architecture (compile's arch; default the host's). */
  arch?: string;
  /** The BPF CPU version (compile's cpu; default v3). */
  cpu?: string;
}

export function compileProbe(name: string, source: string, opts: ProbeOptions = {}): { object: string; listing: string } {
  const dir = opts.dir ?? OUT_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, source);
  const r = compile({ fileName: file, source, btfPath: opts.btfPath, arch: opts.arch, cpu: opts.cpu });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (!r.object || errors.length) throw new Error(`bpftsc failed on ${name}:\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
  const object = path.join(dir, `${name}.o`);
  fs.writeFileSync(object, r.object);
  return { object, listing: r.listing ?? "" };
}
