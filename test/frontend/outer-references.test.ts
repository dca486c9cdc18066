// References to imports and module-level constants taken at their declared types
// (compiler/frontend/outer-references.ts): which references lose their flow node, and
// that what TypeScript reports of a probe stays what it was.

import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { checkSource } from "../../compiler/frontend/source.js";

const PROBE = `import { tracepoint, HashMap, ktimeNs, type u32, type u64 } from "bpftsc";
import * as bpftsc from "bpftsc";
const counts = new HashMap<u32, u64>(64);
const LIMIT: u64 | undefined = 10;
const STEP = 3;
const TWICE = STEP * 2;
export const onWrite = tracepoint("syscalls", "sys_enter_write", () => {
  let t: u64 = ktimeNs();
  if (LIMIT !== undefined) t = t + LIMIT;
  t = t * LIMIT; // narrowed by the constant's initializer, through the flow graph
  counts.set(STEP, t + bpftsc.pid() + TWICE);
  return 0;
});
`;

/** The names' references in the handler, and whether each still has its flow node. */
function flowNodes(source: string): Map<string, boolean[]> {
  const checked = checkSource("/tmp/outer-references.ts", source);
  expect(checked.diagnostics).toEqual([]);
  const out = new Map<string, boolean[]>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && ["counts", "LIMIT", "STEP", "ktimeNs", "bpftsc"].includes(n.text)) {
      const l = out.get(n.text) ?? [];
      l.push((n as { flowNode?: unknown }).flowNode !== undefined);
      out.set(n.text, l);
    }
    ts.forEachChild(n, visit);
  };
  visit(checked.sf.statements.at(-1)!);
  return out;
}

describe("references to imports and module constants", () => {
  it("go without a flow node unless their type is a union", () => {
    const refs = flowNodes(PROBE);
    expect(refs.get("ktimeNs")).toEqual([false]);
    expect(refs.get("counts")).toEqual([false]);
    expect(refs.get("STEP")).toEqual([false]);
    expect(refs.get("bpftsc")).toEqual([false]);
    // Narrowed by the test of it: kept.
    expect(refs.get("LIMIT")).toEqual([true, true, true]);
  });

  it("keep it outside functions, where a constant may be used before its declaration", () => {
    const checked = checkSource("/tmp/outer-references.ts", PROBE);
    const twice = checked.sf.statements.find((s) => ts.isVariableStatement(s) && s.declarationList.declarations[0]!.name.getText(checked.sf) === "TWICE") as ts.VariableStatement;
    const step = (twice.declarationList.declarations[0]!.initializer as ts.BinaryExpression).left as ts.Identifier & { flowNode?: unknown };
    expect(step.text).toBe("STEP");
    expect(step.flowNode).toBeDefined();
  });

  it("keep what narrows a constant of a union type", () => {
    // Without its flow node, \`t * LIMIT\` would be "possibly undefined".
    expect(checkSource("/tmp/outer-references.ts", PROBE).typeErrors()).toEqual([]);
  });

  it("leave a probe compiling", () => {
    // (bpftsc compiles no calls through a namespace import.)
    const source = PROBE.replace(/^.*LIMIT.*\n/gm, "").replace("bpftsc.pid()", "STEP");
    expect(source).not.toContain("LIMIT");
    const r = compile({ fileName: "outer-references.ts", source });
    expect(r.diagnostics).toEqual([]);
    expect(r.object).toBeDefined();
  });

  it("leave TypeScript's errors in such references", () => {
    const source = PROBE.replace(/^.*LIMIT.*\n/gm, "").replace("bpftsc.pid()", "STEP").replace("counts.set(STEP,", "counts.set(\"x\",");
    const r = compile({ fileName: "outer-references.ts", source });
    expect(r.object).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message).join("\n")).toMatch(/not assignable to parameter of type/);
  });
});
