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
// In: the source file (outerReferences), each of its nodes (see: limits.ts's walk, which
// visits them all), then its checker once it is bound (skipFlow).
// Out: nothing; the references to such a declaration lose their flow node. A declaration's
// type is asked only when something references it (not of every program's `const`).

import ts from "typescript";

export interface OuterReferences {
  /** Keeps the node if it is an identifier named like an import or module constant. */
  see(node: ts.Node): void;
  /** Drops the flow node of each reference seen to an import, or to a module-level
   *  constant from inside a function, whose declared type is not a union, any or unknown. */
  skipFlow(checker: ts.TypeChecker): void;
}

export function outerReferences(sf: ts.SourceFile): OuterReferences {
  const tops = topLevelDeclarations(sf);
  const declarations = new Set<ts.Declaration>(tops);
  const names = new Set(tops.map((d) => d.name.text));
  const refs: ts.Identifier[] = [];
  return {
    see: (node) => { if (ts.isIdentifier(node) && names.has(node.text)) refs.push(node); },
    skipFlow(checker) {
      /** Per declaration referenced: whether its declared type has nothing to narrow to. */
      const plain = new Map<ts.Declaration, boolean>();
      const isPlain = (d: TopLevel): boolean => {
        let symbol = checker.getSymbolAtLocation(d.name);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        return symbol !== undefined && (symbol.flags & ts.SymbolFlags.Value) !== 0 && !(checker.getTypeOfSymbol(symbol).flags & NARROWABLE);
      };
      for (const ref of refs) {
        const node = ref as ts.Identifier & { flowNode?: unknown };
        if (node.flowNode === undefined) continue;
        const declaration = checker.getSymbolAtLocation(ref)?.declarations?.[0];
        if (!declaration || !declarations.has(declaration)) continue;
        if (ts.isVariableDeclaration(declaration) && !inFunction(ref)) continue;
        let ok = plain.get(declaration);
        if (ok === undefined) plain.set(declaration, (ok = isPlain(declaration as TopLevel)));
        if (ok) node.flowNode = undefined;
      }
    },
  };
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
