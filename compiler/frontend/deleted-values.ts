// The one use-after-free the verifier cannot see: a hash map's value read after the entry
// was deleted (the kernel recycles the element for the next insertion).
// In: a use of a map-value variable. Out: nothing, or a BPF4009 diagnostic when a
// `map.delete(...)` statement of that map runs before the use on every path.

import ts from "typescript";
import { bindingOf } from "./lower-expr.js";
import { skipParens, type MapInfo } from "./module.js";
import type { Lowerer } from "./values.js";

const K = ts.SyntaxKind;

/** Refuses a map value variable read after a `map.delete(...)` statement of its map that
 *  runs before the read on every path (a statement of a block enclosing the read, after
 *  the variable got its value). The deleted entry's memory is freed and may be handed to
 *  the next insertion (hash maps recycle their elements): the verifier allows the access,
 *  but it reads or writes some other entry. Array maps never free their values. */
export function checkNotDeleted(L: Lowerer, id: ts.Identifier, map: MapInfo): void {
  if (map.kind === "array") return;
  const sym = L.ctx.symbolOf(id);
  for (let n: ts.Node = id; n.parent && !ts.isFunctionLike(n); n = n.parent) {
    const block = n.parent;
    if (!ts.isBlock(block)) continue;
    const stmts = block.statements;
    for (let i = stmts.indexOf(n as ts.Statement) - 1; i >= 0; i--) {
      if (setsVariable(L, stmts[i], sym)) return;
      const del = deleteOf(L, stmts[i], map);
      if (del) L.ctx.fail("deletedMapValue", id, id.text, map.name, String(L.ctx.pos(del).line));
    }
  }
}

/** Does the statement declare or assign the variable? */
function setsVariable(L: Lowerer, n: ts.Node, sym: ts.Symbol | undefined): boolean {
  if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && L.ctx.symbolOf(n.name) === sym) return true;
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.EqualsToken) {
    const left = skipParens(n.left);
    if (ts.isIdentifier(left) && L.ctx.symbolOf(left) === sym) return true;
  }
  return ts.forEachChild(n, (c) => setsVariable(L, c, sym)) ?? false;
}

/** The `map.delete(...)` call a statement consists of, if it is one. */
function deleteOf(L: Lowerer, st: ts.Statement, map: MapInfo): ts.Node | undefined {
  if (!ts.isExpressionStatement(st)) return undefined;
  const call = skipParens(st.expression);
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== "delete") return undefined;
  const obj = call.expression.expression;
  const b = ts.isIdentifier(obj) ? bindingOf(L, obj) : undefined;
  return b?.kind === "map" && b.map === map ? call : undefined;
}
