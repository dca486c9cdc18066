// The probe file's own functions: which are inlined at each call and which become
// BPF-to-BPF subprograms, and the refusal of recursion (BPF cannot recurse).
// A function says which it wants with a JSDoc tag (`/** @inline */`, `/** @noinline */`);
// otherwise it is inlined when it is small or no program calls it more than once (counting
// the calls of inlined callers), and becomes a subprogram when its body is large and some
// program calls it from several places. A subprogram is copied into every program that
// calls it, so one called once per program saves no instructions there: it only costs the
// argument moves, the call and the return, and the verifier walks its body for each call
// and its exits back into the caller. A subprogram takes at most 5 arguments
// (R1..R5), each an integer, a Ptr, or a struct passed by reference. Which parameters
// the body assigns is noted too: an inlined call binds the others to constant arguments.
// In: the file's function declarations. Out: a FunctionInfo per function symbol, or a
// diagnostic at the call that closes a cycle of calls.

import ts from "typescript";
import type { FrontendContext } from "./context.js";

export interface FunctionInfo {
  symbol: ts.Symbol;
  decl: ts.FunctionDeclaration;
  /** Compiled once as a BPF-to-BPF function and called; otherwise inlined at each call. */
  subprogram: boolean;
  /** Parameters the body assigns (`=`, `+=`, `++`, ...). */
  assigned: ReadonlySet<ts.Symbol>;
}

/** Syntax nodes in a body up to which inlining at every call is cheaper than a call. */
const INLINE_SIZE = 40;
/** BPF passes arguments in R1..R5. */
export const MAX_SUBPROGRAM_ARGS = 5;

export function readFunctions(ctx: FrontendContext, decls: ts.FunctionDeclaration[]): Map<ts.Symbol, FunctionInfo> {
  const out = new Map<ts.Symbol, FunctionInfo>();
  // With no functions there are no calls of them to find in the programs.
  if (decls.length === 0) return out;
  const bySymbol = new Map(decls.map((d) => [ctx.symbolOf(d.name!)!, d]));
  const calls = callsOf(ctx, bySymbol);
  refuseRecursion(ctx, bySymbol, calls);
  const perProgram = callsPerProgram(ctx, bySymbol, calls);
  for (const [symbol, decl] of bySymbol) {
    const tag = inlineTag(decl);
    let subprogram: boolean;
    if (tag === "noinline") {
      const why = whyNotSubprogram(decl);
      if (why) ctx.fail("badSubprogram", decl.name!, decl.name!.text, why);
      subprogram = true;
    } else if (tag === "inline") {
      subprogram = false;
    } else {
      subprogram = (perProgram.get(symbol) ?? 0) > 1 && size(decl.body!) > INLINE_SIZE && !whyNotSubprogram(decl);
    }
    out.set(symbol, { symbol, decl, subprogram, assigned: assignedNames(ctx, decl.body!) });
  }
  return out;
}

function inlineTag(decl: ts.FunctionDeclaration): "inline" | "noinline" | undefined {
  const tags = ts.getJSDocTags(decl).map((t) => t.tagName.text);
  return tags.includes("noinline") ? "noinline" : tags.includes("inline") ? "inline" : undefined;
}

/** Why the function cannot be a subprogram, or undefined when it can. */
function whyNotSubprogram(decl: ts.FunctionDeclaration): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(decl.name!.text)) return "its name becomes an ELF symbol, which must be a C identifier (ASCII letters, digits and _)";
  if (decl.parameters.length > MAX_SUBPROGRAM_ARGS) return `it takes ${decl.parameters.length} parameters, and a BPF function at most ${MAX_SUBPROGRAM_ARGS}`;
  return undefined;
}

/** For each function, the calls in its body to functions of the file. */
function callsOf(ctx: FrontendContext, bySymbol: Map<ts.Symbol, ts.FunctionDeclaration>): Map<ts.Symbol, { callee: ts.Symbol; node: ts.CallExpression }[]> {
  const out = new Map<ts.Symbol, { callee: ts.Symbol; node: ts.CallExpression }[]>();
  for (const [symbol, decl] of bySymbol) {
    const list: { callee: ts.Symbol; node: ts.CallExpression }[] = [];
    const visit = (n: ts.Node): void => {
      const callee = calleeOf(ctx, n, bySymbol);
      if (callee) list.push({ callee, node: n as ts.CallExpression });
      ts.forEachChild(n, visit);
    };
    visit(decl.body!);
    out.set(symbol, list);
  }
  return out;
}

function calleeOf(ctx: FrontendContext, n: ts.Node, bySymbol: Map<ts.Symbol, ts.FunctionDeclaration>): ts.Symbol | undefined {
  if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression)) return undefined;
  const s = ctx.symbolOf(n.expression);
  return s && bySymbol.has(s) ? s : undefined;
}

/** A call on a cycle of calls is an error at that call. */
function refuseRecursion(ctx: FrontendContext, bySymbol: Map<ts.Symbol, ts.FunctionDeclaration>, calls: Map<ts.Symbol, { callee: ts.Symbol; node: ts.CallExpression }[]>): void {
  const state = new Map<ts.Symbol, "open" | "done">();
  const visit = (f: ts.Symbol): void => {
    state.set(f, "open");
    for (const c of calls.get(f) ?? []) {
      const s = state.get(c.callee);
      if (s === "open") ctx.fail("recursion", c.node, c.callee.name);
      if (s === undefined) visit(c.callee);
    }
    state.set(f, "done");
  };
  for (const f of bySymbol.keys()) if (!state.has(f)) visit(f);
}

/** Per function, the most times one program calls it, were every call inlined: calls in
 *  each top-level statement other than a function declaration (a program's handler), and
 *  through each of them the calls in the callee's body. Counts stop at 2 (only "more than
 *  once" matters). */
function callsPerProgram(ctx: FrontendContext, bySymbol: Map<ts.Symbol, ts.FunctionDeclaration>, calls: Map<ts.Symbol, { callee: ts.Symbol }[]>): Map<ts.Symbol, number> {
  const expanded = new Map<ts.Symbol, Map<ts.Symbol, number>>();
  const add = (into: Map<ts.Symbol, number>, f: ts.Symbol, n: number): void => { into.set(f, Math.min(2, (into.get(f) ?? 0) + n)); };
  const countsOf = (direct: { callee: ts.Symbol }[]): Map<ts.Symbol, number> => {
    const out = new Map<ts.Symbol, number>();
    for (const { callee } of direct) {
      add(out, callee, 1);
      for (const [f, n] of bodyCounts(callee)) add(out, f, n);
    }
    return out;
  };
  const bodyCounts = (f: ts.Symbol): Map<ts.Symbol, number> => {
    let m = expanded.get(f);
    if (!m) expanded.set(f, (m = countsOf(calls.get(f) ?? [])));
    return m;
  };
  const most = new Map<ts.Symbol, number>();
  for (const stmt of ctx.sf.statements) {
    if (ts.isFunctionDeclaration(stmt)) continue;
    const direct: { callee: ts.Symbol }[] = [];
    const visit = (n: ts.Node): void => {
      const callee = calleeOf(ctx, n, bySymbol);
      if (callee) direct.push({ callee });
      ts.forEachChild(n, visit);
    };
    visit(stmt);
    for (const [f, n] of countsOf(direct)) most.set(f, Math.max(most.get(f) ?? 0, n));
  }
  return most;
}

const K = ts.SyntaxKind;

/** The symbols of the names a body assigns to. */
function assignedNames(ctx: FrontendContext, body: ts.Node): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  const target = (e: ts.Expression): void => {
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    const s = ts.isIdentifier(e) ? ctx.symbolOf(e) : undefined;
    if (s) out.add(s);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= K.FirstAssignment && n.operatorToken.kind <= K.LastAssignment) target(n.left);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken)) target(n.operand);
    ts.forEachChild(n, visit);
  };
  visit(body);
  return out;
}

function size(n: ts.Node): number {
  let count = 1;
  ts.forEachChild(n, (c) => { count += size(c); });
  return count;
}
