// TypeScript's order of evaluation, which the lowering keeps: operands left to right, and
// a compound assignment reads its target before it evaluates its right side (README
// "Order of evaluation"). A lowered operand may still be a place rather than a value —
// BPF memory not loaded yet, or a variable's own register — that is read only where the
// value is used. When what is evaluated after it can write (it calls a function, which may
// write a global or a struct it is passed, or a map method or a helper that writes, or it
// assigns, or uses ++ or --), the operand is read at its turn instead: memory loaded, a
// register copied.
// In: a lowered operand and the expressions evaluated after it. Out: the operand, read
// now if they may write.

import ts from "typescript";
import { isPureBuiltin } from "./builtins.js";
import { scalar, type Lowerer, type Value } from "./values.js";

const K = ts.SyntaxKind;

/** Whether evaluating `e` may write memory or a variable: it calls something but a pure
 *  builtin (pid(), ktimeNs(), ...), or assigns. */
export function mayWrite(L: Lowerer, e: ts.Node): boolean {
  if (ts.isCallExpression(e) && !isPureBuiltin(L.ctx.runtimeName(e.expression))) return true;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind >= K.FirstAssignment && e.operatorToken.kind <= K.LastAssignment) return true;
  if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === K.PlusPlusToken || e.operator === K.MinusMinusToken)) return true;
  return ts.forEachChild(e, (c) => mayWrite(L, c) || undefined) ?? false;
}

/** `v`, evaluated before `later`: read now if any of them may write. */
export function beforeLater(L: Lowerer, v: Value, later: readonly ts.Node[]): Value {
  return later.some((e) => mayWrite(L, e)) ? readNow(L, v) : v;
}

/** A scalar's value as it is now: memory loaded, a register copied (it may be a
 *  variable's, which an assignment changes). Other values are left as they are. */
export function readNow(L: Lowerer, v: Value): Value {
  const s = scalar(L, v);
  if (s !== v || (s.kind !== "int" && s.kind !== "ptr")) return s;
  const reg = L.b.newReg();
  L.b.emit({ op: "mov", dst: reg, src: s.reg });
  return { ...s, reg };
}
