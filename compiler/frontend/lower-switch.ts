// `switch` on an integer: the value is evaluated once and compared with each case's
// constant in order, jumping to the first case that matches (or to `default`); case
// bodies are laid out in source order, so a body without `break` falls through to the
// next, as in TypeScript; `break` leaves the switch.
// In: a switch statement. Out: IR compares and blocks through the builder.

import ts from "typescript";
import type { Block } from "../ir/ir.js";
import { compare } from "./lower-cond.js";
import { lowerExpr } from "./lower-expr.js";
import { lowerStmt } from "./lower-stmt.js";
import { constantValue } from "./module.js";
import { constVal, scalar, toReg, truncate, type Lowerer, type Value } from "./values.js";

export function lowerSwitch(L: Lowerer, s: ts.SwitchStatement): void {
  const subject = scalar(L, lowerExpr(L, s.expression));
  if (subject.kind !== "int" && subject.kind !== "const") L.ctx.fail("unsupportedSyntax", s.expression, "A switch on anything but an integer");
  // Evaluated once, into a register every comparison reads.
  const value: Value = subject.kind === "const" ? subject : { kind: "int", type: subject.type, reg: toReg(L, subject) };
  const clauses = s.caseBlock.clauses;
  const bodies = clauses.map(() => L.b.newBlock());
  const exit = L.b.newBlock();
  const seen = new Map<bigint, ts.Node>();
  let fallback: Block = exit;
  clauses.forEach((c, i) => {
    if (ts.isDefaultClause(c)) {
      fallback = bodies[i]!;
      return;
    }
    const k = constantValue(L.ctx, L.mod, c.expression) ?? L.ctx.fail("unsupportedSyntax", c.expression, "A case label that is not an integer constant");
    const key = value.kind === "int" ? truncate(k, value.type) : k;
    if (seen.has(key)) L.ctx.fail("duplicateCase", c.expression, c.expression.getText(L.ctx.sf), String(L.ctx.pos(seen.get(key)!).line));
    seen.set(key, c.expression);
    const next = L.b.newBlock();
    const test = compare(L, ts.SyntaxKind.EqualsEqualsEqualsToken, value, constVal(k), c.expression);
    if (typeof test === "boolean") L.b.jump(test ? bodies[i]! : next);
    else L.b.terminate({ op: "br", cmp: test.cmp, a: test.a, b: test.b, then: L.b.ref(bodies[i]!), else: L.b.ref(next) });
    L.b.setBlock(next);
  });
  L.b.jump(fallback);
  L.loops.push({ brk: exit });
  clauses.forEach((c, i) => {
    L.b.setBlock(bodies[i]!);
    for (const st of c.statements) lowerStmt(L, st);
    L.b.jump(bodies[i + 1] ?? exit);
  });
  L.loops.pop();
  L.b.setBlock(exit);
}
