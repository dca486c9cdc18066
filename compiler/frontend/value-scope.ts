// Where a name read as a value is resolved, so a compile asks TypeScript once per scope
// and name instead of once per use (checker.getSymbolAtLocation resolves the name again
// on every call, walking every scope out to the file: a handler of a few thousand
// statements asks it tens of thousands of times).
// In: an identifier. Out: the innermost block, loop, case block, function or file around
// it, when the identifier is read as a value through plain expressions and statements
// only; otherwise undefined (the caller asks TypeScript). Two such identifiers with the
// same name and scope resolve alike: TypeScript's name resolution (checker.ts,
// resolveNameHelper) looks at each enclosing node's locals from the innermost outwards
// and treats specially only what this walk refuses to cross: parameters, binding
// patterns, decorators, computed property names, classes, types, JSDoc.

import ts from "typescript";

const K = ts.SyntaxKind;

/** Nodes whose own kind TypeScript's resolution does not look at: a name inside them
 *  resolves as it would at their parent. */
const TRANSPARENT = new Set<ts.SyntaxKind>([
  K.BinaryExpression, K.CallExpression, K.NewExpression, K.PropertyAccessExpression,
  K.ElementAccessExpression, K.ParenthesizedExpression, K.PrefixUnaryExpression,
  K.PostfixUnaryExpression, K.ConditionalExpression, K.AsExpression, K.SatisfiesExpression,
  K.NonNullExpression, K.TypeAssertionExpression, K.TypeOfExpression, K.VoidExpression,
  K.SpreadElement, K.ArrayLiteralExpression, K.TemplateExpression, K.TemplateSpan,
  K.TaggedTemplateExpression, K.ObjectLiteralExpression, K.PropertyAssignment,
  K.ExpressionStatement, K.IfStatement, K.ReturnStatement, K.WhileStatement, K.DoStatement,
  K.SwitchStatement, K.CaseClause, K.DefaultClause, K.ThrowStatement, K.LabeledStatement,
  K.VariableDeclaration, K.VariableDeclarationList, K.VariableStatement,
]);

/** Nodes that hold the declarations their contents see first. */
const SCOPES = new Set<ts.SyntaxKind>([
  K.Block, K.SourceFile, K.ForStatement, K.ForOfStatement, K.ForInStatement, K.CaseBlock,
]);

/** The identifier is read as a value where it stands (not a declared, property or label name). */
function isValueRead(id: ts.Identifier): boolean {
  const p = id.parent;
  switch (p.kind) {
    case K.PropertyAccessExpression: return (p as ts.PropertyAccessExpression).expression === id;
    case K.PropertyAssignment: return (p as ts.PropertyAssignment).initializer === id;
    case K.VariableDeclaration: return (p as ts.VariableDeclaration).initializer === id;
    case K.LabeledStatement: return false;
    default: return TRANSPARENT.has(p.kind);
  }
}

export function valueScope(id: ts.Identifier): ts.Node | undefined {
  if (!isValueRead(id)) return undefined;
  let child: ts.Node = id;
  for (let p = id.parent; p; child = p, p = p.parent) {
    if (SCOPES.has(p.kind)) return p;
    if (ts.isArrowFunction(p)) return p.body === child ? p : undefined;
    if (!TRANSPARENT.has(p.kind)) return undefined;
  }
  return undefined;
}
