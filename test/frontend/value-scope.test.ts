// FrontendContext.symbolOf answers from its per-scope cache (compiler/frontend/
// value-scope.ts) exactly what TypeScript answers for each identifier: checked on every
// identifier of a file that reuses one name for a module constant, a type, parameters,
// locals of nested blocks, loop variables, case blocks, properties and a label.

import { describe, expect, it } from "vitest";
import ts from "typescript";
import { FrontendContext } from "../../compiler/frontend/context.js";
import { checkSource } from "../../compiler/frontend/source.js";
import { valueScope } from "../../compiler/frontend/value-scope.js";
import { targetFor } from "../../compiler/target/index.js";

const SOURCE = `import { uprobe, ArrayMap, type i64, type u32 } from "bpftsc";
const out = new ArrayMap<i64>(8);
const x = 5;
type x = u32;
function twice(x: i64): i64 { const y = x; { const x = y * 2; return x + y; } }
function inc(n: i64): i64 { const x: x = 1; return n + x; }
export const p = uprobe("/bin/true", "main", (x: i64) => {
  let s: i64 = x + twice(x) + inc(x);
  { const x = s + 1; s += x; { let x = s; x += 2; s = x; } s += x; }
  for (let x = 0; x < 3; x++) s += x;
  switch (s & 3) {
    case 0: { const x = 7; s += x; break; }
    default: s -= x;
  }
  const o = { x: x, y: s };
  x: for (let i = 0; i < 2; i++) { if (o.x > i) break x; s += o.y; }
  out.set(0, s + x);
});
`;

function context(): FrontendContext {
  const checked = checkSource("value-scope.ts", SOURCE);
  expect(checked.typeErrors()).toEqual([]);
  return new FrontendContext("value-scope.ts", checked.sf, checked.checker, checked.runtimeFile, targetFor("x86_64")!);
}

function identifiers(node: ts.Node, out: ts.Identifier[] = []): ts.Identifier[] {
  if (ts.isIdentifier(node)) out.push(node);
  ts.forEachChild(node, (c) => void identifiers(c, out));
  return out;
}

/** TypeScript's own answer, as symbolOf gives it (imports followed). */
function uncached(checker: ts.TypeChecker, id: ts.Identifier): ts.Symbol | undefined {
  const s = checker.getSymbolAtLocation(id);
  return s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

describe("symbolOf's per-scope cache", () => {
  it("gives every identifier the symbol TypeScript resolves it to", () => {
    const ctx = context();
    const ids = identifiers(ctx.sf);
    // Twice over, so the second pass answers from the cache filled by the first.
    for (const pass of [1, 2]) {
      for (const id of ids) {
        const at = `${id.text} at ${ctx.pos(id).line}:${ctx.pos(id).col} (pass ${pass})`;
        expect(ctx.symbolOf(id), at).toBe(uncached(ctx.checker, id));
      }
    }
  });

  it("caches reads in expressions only, not declared, property, parameter or label names", () => {
    const ctx = context();
    const where = (id: ts.Identifier) => `${id.text}:${ts.SyntaxKind[id.parent.kind]}`;
    const all = identifiers(ctx.sf);
    const reads = all.filter((id) => valueScope(id) !== undefined).map(where);
    const others = all.filter((id) => valueScope(id) === undefined).map(where);
    for (const read of ["x:BinaryExpression", "x:CallExpression", "x:PropertyAssignment", "twice:CallExpression", "i:PostfixUnaryExpression", "o:PropertyAccessExpression", "out:PropertyAccessExpression", "x:VariableDeclaration"]) {
      expect(reads).toContain(read);
    }
    for (const other of ["x:Parameter", "x:TypeAliasDeclaration", "x:LabeledStatement", "x:BreakStatement", "x:TypeReference", "x:PropertyAssignment", "x:VariableDeclaration", "set:PropertyAccessExpression"]) {
      expect(others).toContain(other);
    }
  });
});
