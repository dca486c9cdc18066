// Which object or array literal an expression stands for, for a destination of a given
// type: the literal itself, or `literal as T` with T the destination's type (spelled the
// same). TypeScript lets a literal leave members out, or be a FixedArray, only through
// an assertion: `{ h: 1 } as Small`, `[1, 2] as FixedArray<u32, 2>`.
// In: the expression, the destination type. Out: the literal, or undefined.

import ts from "typescript";
import { typeToString, type CType } from "../types/ctype.js";
import { skipParens } from "./module.js";
import type { TypeResolver } from "./types.js";

export function literalFor<N extends ts.Expression>(types: TypeResolver, e: ts.Expression, t: CType, isLiteral: (n: ts.Node) => n is N): N | undefined {
  if (isLiteral(e)) return e;
  if (!ts.isAsExpression(e)) return undefined;
  const inner = skipParens(e.expression);
  return isLiteral(inner) && typeToString(types.resolve(e.type)) === typeToString(t) ? inner : undefined;
}
