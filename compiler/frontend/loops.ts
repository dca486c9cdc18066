// Proves that a loop terminates before it is compiled, the way the verifier will have to:
// a counter that starts at a constant, moves by a constant step toward a constant
// bound, and is changed nowhere else in the loop; and the number of iterations is small
// enough for the verifier to walk.
// In: a for/while statement. Out: nothing (it passes) or a BPF4002 diagnostic.

import ts from "typescript";
import type { FrontendContext } from "./context.js";
import { constantValue, skipParens, type ModuleInfo } from "./module.js";

/** The verifier simulates every iteration; past this many, refuse at compile time. */
export const MAX_ITERATIONS = 1 << 16;

const K = ts.SyntaxKind;

interface Counter { sym: ts.Symbol; name: string }

export function checkLoopBound(ctx: FrontendContext, mod: ModuleInfo, loop: ts.ForStatement | ts.WhileStatement | ts.DoStatement, initial: (sym: ts.Symbol) => bigint | undefined): void {
  const fail = (why: string): never => ctx.fail("unboundedLoop", loop, why);
  const condition = ts.isForStatement(loop) ? loop.condition : loop.expression;
  if (!condition) return fail("it has no condition");
  const cond = conjuncts(condition)[0];
  if (!ts.isBinaryExpression(cond)) return fail("its condition must start with a comparison of a counter with a constant, like i < 16");
  let op: ts.SyntaxKind = cond.operatorToken.kind;
  let counterNode = skipParens(cond.left), boundNode = skipParens(cond.right);
  if (!ts.isIdentifier(counterNode)) {
    [counterNode, boundNode] = [boundNode, counterNode];
    op = flip(op);
  }
  if (!ts.isIdentifier(counterNode)) return fail("its condition must compare a counter variable with a constant");
  const sym = ctx.symbolOf(counterNode)!;
  const counter: Counter = { sym, name: counterNode.text };
  const bound = constantValue(ctx, mod, boundNode);
  if (bound === undefined) return fail(`'${boundNode.getText(ctx.sf)}' is not a compile-time constant`);

  const start = ts.isForStatement(loop) ? forInitial(ctx, mod, loop, sym) : initial(sym);
  if (start === undefined) return fail(`'${counter.name}' must start at a constant value`);

  // Every change to the counter inside the loop (body and, for `for`, the incrementor).
  const steps: bigint[] = [];
  const visit = (n: ts.Node): void => {
    const step = stepOf(ctx, mod, n, counter);
    if (step === "other") fail(`'${counter.name}' is changed in a way the compiler cannot follow at line ${ctx.pos(n).line}`);
    if (typeof step === "bigint") steps.push(step);
    ts.forEachChild(n, visit);
  };
  visit(loop.statement);
  if (ts.isForStatement(loop) && loop.incrementor) visit(loop.incrementor);
  if (steps.length !== 1) fail(steps.length === 0 ? `'${counter.name}' never changes inside the loop` : `'${counter.name}' changes in more than one place`);
  const step = steps[0];
  if (ts.isWhileStatement(loop) || ts.isDoStatement(loop)) {
    if (containsContinue(loop.statement)) fail("a while loop with 'continue' may skip its counter's step; use a for loop");
  }

  const up = op === K.LessThanToken || op === K.LessThanEqualsToken;
  const down = op === K.GreaterThanToken || op === K.GreaterThanEqualsToken;
  if (!up && !down) fail("its condition must be <, <=, > or >= against the bound");
  if ((up && step <= 0n) || (down && step >= 0n)) fail(`'${counter.name}' moves away from its bound`);
  const span = up ? bound - start + (op === K.LessThanEqualsToken ? 1n : 0n) : start - bound + (op === K.GreaterThanEqualsToken ? 1n : 0n);
  const iterations = span <= 0n ? 0n : (span + (step < 0n ? -step : step) - 1n) / (step < 0n ? -step : step);
  if (iterations > BigInt(MAX_ITERATIONS)) fail(`it runs ${iterations} times; the limit is ${MAX_ITERATIONS}`);
}

function conjuncts(e: ts.Expression): ts.Expression[] {
  e = skipParens(e);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === K.AmpersandAmpersandToken) return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}

function flip(op: ts.SyntaxKind): ts.SyntaxKind {
  switch (op) {
    case K.LessThanToken: return K.GreaterThanToken;
    case K.LessThanEqualsToken: return K.GreaterThanEqualsToken;
    case K.GreaterThanToken: return K.LessThanToken;
    case K.GreaterThanEqualsToken: return K.LessThanEqualsToken;
  }
  return op;
}

function forInitial(ctx: FrontendContext, mod: ModuleInfo, loop: ts.ForStatement, sym: ts.Symbol): bigint | undefined {
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init)) return undefined;
  for (const d of init.declarations) {
    if (ts.isIdentifier(d.name) && ctx.symbolOf(d.name) === sym && d.initializer) return constantValue(ctx, mod, d.initializer);
  }
  return undefined;
}

/** How a node changes the counter: a constant step, "other", or undefined (it doesn't). */
function stepOf(ctx: FrontendContext, mod: ModuleInfo, n: ts.Node, c: Counter): bigint | "other" | undefined {
  const isCounter = (e: ts.Expression) => ts.isIdentifier(skipParens(e)) && ctx.symbolOf(skipParens(e)) === c.sym;
  if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && isCounter(n.operand)) {
    if (n.operator === K.PlusPlusToken) return 1n;
    if (n.operator === K.MinusMinusToken) return -1n;
    return undefined;
  }
  if (ts.isBinaryExpression(n) && isCounter(n.left)) {
    const op = n.operatorToken.kind;
    if (op === K.PlusEqualsToken || op === K.MinusEqualsToken) {
      const v = constantValue(ctx, mod, n.right);
      if (v === undefined) return "other";
      return op === K.PlusEqualsToken ? v : -v;
    }
    if (op >= K.FirstAssignment && op <= K.LastAssignment) return "other";
  }
  return undefined;
}

function containsContinue(n: ts.Node): boolean {
  if (ts.isContinueStatement(n)) return true;
  if (ts.isFunctionLike(n) || ts.isIterationStatement(n, false)) return false;
  return ts.forEachChild(n, containsContinue) ?? false;
}
