// References to a probe file's imports and module-level constants, taken by TypeScript's
// checker at their declared type instead of through its control-flow analysis.
// TypeScript gives every reference in an expression a flow node (the binder's field
// `flowNode`), and the checker walks the flow graph back from it, through every
// assignment, call and branch, to the start of the function (for a constant, on to the
// start of the file), to see whether anything narrowed it. It keeps nothing from one
// reference's walk for the next, so a handler of n statements that calls `ktimeNs()` or
// `counts.update()` in most of them is checked in time n * n: 1 x 10,000 statements took
// 5.7 s to type-check, most of the compile. An import or a module-level `const` cannot be
// assigned, and a type that is not a union (any, unknown) has nothing to narrow to but
// `never` (a test that contradicts its type, whose code is dead), so for such references
// the walk finds their declared type: they go without a flow node, and the checker takes
// that type at once (getFlowTypeOfReference with no flow node returns it). A constant's
// references keep theirs outside functions, where the walk also finds a use before the
// declaration (TypeScript's "used before being assigned"); inside one, TypeScript takes a
// constant of the file as assigned.
// In: the bound source file, its checker, and the file's identifiers named like one of
// its imports or module-level constants (topLevelNames; limits.ts's walk gathers them).
// Out: nothing; those that reference such a declaration lose their flow node.

import ts from "typescript";

/** The names the file's imports and module-level constants declare. */
export function topLevelNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const d of topLevelDeclarations(sf)) names.add(d.name.text);
  return names;
}

/** Drops the flow node of each of `refs` that references an import, or a module-level
 *  constant from inside a function, whose declared type is not a union, any or unknown. */
export function skipFlowOfOuterReferences(sf: ts.SourceFile, checker: ts.TypeChecker, refs: readonly ts.Identifier[]): void {
  if (refs.length === 0) return;
  const plain = new Set<ts.Declaration>();
  for (const d of topLevelDeclarations(sf)) {
    let symbol = checker.getSymbolAtLocation(d.name);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    if (symbol && symbol.flags & ts.SymbolFlags.Value && !(checker.getTypeOfSymbol(symbol).flags & NARROWABLE)) plain.add(d);
  }
  for (const ref of refs) {
    const node = ref as ts.Identifier & { flowNode?: unknown };
    if (node.flowNode === undefined) continue;
    const declaration = checker.getSymbolAtLocation(ref)?.declarations?.[0];
    if (!declaration || !plain.has(declaration)) continue;
    if (ts.isVariableDeclaration(declaration) && !inFunction(ref)) continue;
    node.flowNode = undefined;
  }
}

function inFunction(node: ts.Node): boolean {
  for (let n = node.parent; n; n = n.parent) if (ts.isFunctionLike(n)) return true;
  return false;
}

/** Declared types whose references a test in the code can narrow. */
const NARROWABLE = ts.TypeFlags.Union | ts.TypeFlags.Any | ts.TypeFlags.Unknown;

type TopLevel = (ts.ImportSpecifier | ts.ImportClause | ts.NamespaceImport | ts.VariableDeclaration) & { name: ts.Identifier };

/** The declarations of the file's imported names and module-level constants. */
function topLevelDeclarations(sf: ts.SourceFile): TopLevel[] {
  const out: TopLevel[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.importClause && !st.importClause.isTypeOnly) {
      const clause = st.importClause;
      if (clause.name) out.push(clause as TopLevel);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) out.push(bindings);
      else if (bindings) for (const e of bindings.elements) if (!e.isTypeOnly) out.push(e);
    } else if (ts.isVariableStatement(st) && st.declarationList.flags & ts.NodeFlags.Const) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) out.push(d as TopLevel);
    }
  }
  return out;
}
