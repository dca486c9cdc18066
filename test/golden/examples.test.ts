// The examples, compiled: each listing (-S) must equal its golden file (regenerate with
// UPDATE_GOLDEN=1 and review the diff), must agree line for line with `llvm-objdump-19 -d
// --no-print-imm-hex` on the object once the names it adds are taken off (a trailing
// `<...>`: the helper, map, global or callee an instruction refers to, where llvm-objdump
// puts a jump's target, so
// jump targets are compared without theirs too), and the object must pass the kernel
// verifier. readelf and bpftool read it.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { REPO_ROOT, ensureTracefs, runLoader } from "../harness/harness.js";
import { OUT_DIR } from "../e2e/compile-helper.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLES = path.join(REPO_ROOT, "examples");

/** Function headers and instruction lines per section, as both listings print them. */
function instructionsBySection(text: string, sectionHeader: RegExp): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split("\n")) {
    const h = sectionHeader.exec(line);
    // bpftsc heads each subprogram with its section (".text:"), objdump the section once.
    if (h) out.set(h[1], (cur = out.get(h[1]) ?? []));
    else if (cur && /^\s+\d+:\t/.test(line)) cur.push(line.replace(/\s+<[^>]+>$/, "").trimEnd());
    // A function's symbol and its address in the section (several share .text).
    else if (cur && /^[0-9a-f]{16} <[^>]+>:$/.test(line)) cur.push(line);
  }
  return out;
}

function tool(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("examples", () => {
  ensureTracefs();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort()) {
    const name = file.replace(/\.ts$/, "");
    describe(name, () => {
      // Relative name: the listing and line info do not depend on where the repo is.
      const source = fs.readFileSync(path.join(EXAMPLES, file), "utf8");
      const r = compile({ fileName: `examples/${file}`, source });
      // Written here, so that each test below stands on its own (any order, any subset).
      const object = path.join(OUT_DIR, `${name}.o`);
      if (r.object) fs.writeFileSync(object, r.object);

      it("compiles without diagnostics", () => {
        expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
      });

      it("listing equals the golden file", () => {
        const golden = path.join(HERE, `${name}.lst`);
        if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, r.listing!);
        expect(r.listing).toBe(fs.readFileSync(golden, "utf8"));
      });

      it("listing agrees with llvm-objdump-19 -d", () => {
        const d = tool("llvm-objdump-19", ["-d", "--no-print-imm-hex", object]);
        expect(d.status).toBe(0);
        const ours = instructionsBySection(r.listing!, /^(\S+):$/);
        const theirs = instructionsBySection(d.stdout, /^Disassembly of section (\S+):$/);
        expect(ours.size).toBeGreaterThan(0);
        expect(ours).toEqual(theirs);
      });

      it("readelf and bpftool read the object", () => {
        const re = tool("readelf", ["-a", "-W", object]);
        expect(re.status).toBe(0);
        expect(re.stderr).toBe("");
        expect(re.stdout).toContain("Machine:                           Linux BPF");
        const btf = tool("bpftool", ["btf", "dump", "file", object]);
        expect(btf.status).toBe(0);
        // Maps in .maps; an example without maps (vfsstat: a global array) has its .bss.
        expect(btf.stdout).toMatch(/\bnew [A-Z]\w*[<(]/.test(source) ? /DATASEC '\.maps'/ : /DATASEC '\.bss'/);
      });

      it("bpftool gen skeleton and gen object accept it", () => {
        const skel = tool("bpftool", ["gen", "skeleton", object]);
        expect(skel.stderr).toBe("");
        expect(skel.status).toBe(0);
        expect(skel.stdout).toContain(`struct ${name.replace(/-/g, "_")}`);
        const linked = path.join(OUT_DIR, `${name}.linked.o`);
        const gen = tool("bpftool", ["gen", "object", linked, object]);
        expect(gen.status, gen.stderr).toBe(0);
      });

      it("the kernel verifier accepts it", () => {
        const res = runLoader(object, { stats: true });
        for (const p of res.programs) expect(p.verified_insns).toBeGreaterThan(0);
      });
    });
  }
});
