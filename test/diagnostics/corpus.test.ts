// The corpus of programs outside the subset: each file in cases/ begins with
// `// expect: BPF<code> <line>:<col>` (and optionally, in the comment lines after it,
// `// message: <text>`, which the message must contain, and `// errors: <n>`, the number
// of errors in all) and must fail with exactly that first diagnostic, produce no object,
// and format tsc-style with a one-line excerpt.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { ensureTracefs } from "../harness/harness.js";

const CASES = path.join(path.dirname(fileURLToPath(import.meta.url)), "cases");

describe("diagnostics for input outside the subset", () => {
  ensureTracefs(); // the unknown-tracepoint-field case reads the event's format
  const files = fs.readdirSync(CASES).filter((f) => f.endsWith(".ts")).sort();

  it("has a corpus", () => expect(files.length).toBeGreaterThanOrEqual(20));

  for (const f of files) {
    it(f, () => {
      const file = path.join(CASES, f);
      const source = fs.readFileSync(file, "utf8");
      const m = /^\/\/ expect: BPF(\d+) (\d+):(\d+)/.exec(source);
      if (!m) throw new Error(`${f}: first line must be // expect: BPF<code> <line>:<col>`);
      const r = compile({ fileName: file, source });
      expect(r.object).toBeUndefined();
      const first = r.diagnostics.find((d) => d.severity === "error");
      expect(first, "an error diagnostic").toBeDefined();
      expect({ code: first!.code, line: first!.line, col: first!.col }).toEqual({ code: Number(m[1]), line: Number(m[2]), col: Number(m[3]) });
      const header = source.split("\n").filter((_line, i, all) => all.slice(0, i + 1).every((x) => x.startsWith("//"))).join("\n");
      const message = /^\/\/ message: (.+)$/m.exec(header)?.[1];
      if (message !== undefined) expect(first!.message).toContain(message);
      const count = /^\/\/ errors: (\d+)$/m.exec(header)?.[1];
      if (count !== undefined) expect(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toHaveLength(Number(count));
      const text = formatDiagnostic(first!);
      expect(text.split("\n")[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\(${m[2]},${m[3]}\\): error BPF${m[1]}: .+`));
      // The excerpt repeats the source line and puts a caret under the column.
      const lines = text.split("\n");
      expect(lines[2]).toBe(`${m[2]} ${source.split("\n")[Number(m[2]) - 1]}`);
      expect(lines[3].indexOf("~")).toBe(m[2].length + Number(m[3]));
    });
  }
});
