// The IR (--dump-ir) of a small uprobe probe on the args target, for tests of what the
// frontend folds: `prelude` at the top level, `body` in the handler (parameter `i: i32`,
// a map `out` of i64). Asserts the compile gives no diagnostic.

import { expect } from "vitest";
import { compile } from "../../compiler/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
import { buildTargetFile } from "../harness/harness.js";

export function probeIr(fileName: string, prelude: string, body: string): string {
  const target = buildTargetFile("args");
  const source = `import { uprobe, ArrayMap, type i32, type i64, type u32 } from "bpftsc";
const out = new ArrayMap<i64>(4);
${prelude}
export const p = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  ${body}
});
`;
  const r = compile({ fileName, source, dumpIr: true });
  expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
  return r.ir!;
}
