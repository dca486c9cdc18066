// Proves that a loop terminates before it is compiled, the way the verifier will have to:
// a counter that starts at a constant, moves by a constant step toward a constant
// bound on every iteration, and is changed nowhere else in the loop; the counter's type
// holds every value it takes until it passes the bound (a u8 counter never reaches 300,
// it wraps); and the number of iterations is small enough for the verifier to walk.
// In: a for/while statement. Out: the most iterations it can run and its counter, or a
// BPF4002 diagnostic.

import ts from "typescript";
import { truncate } from "./values.js";
import type { IntType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";
import { runtimeConstant, skipParens, type ModuleInfo } from "./module.js";

/** The verifier simulates every iteration; past this many, refuse at compile time. */
export const MAX_ITERATIONS = 1 << 16;

const K = ts.SyntaxKind;

interface Counter { sym: ts.Symbol; name: string }

/** The most iterations a loop runs, its counter, where the counter starts and its step;
 *  `exact` when the condition is the counter's comparison alone, so that the loop runs
 *  exactly `trips` times, the counter taking start, start + step, ... */
export interface LoopBound { trips: number; counter: ts.Symbol; start: bigint; step: bigint; exact: boolean }

/** `initial`: a while loop's counter's constant start; `typeOf`: the counter's type. */
export function checkLoopBound(
  ctx: FrontendContext, mod: ModuleInfo, loop: ts.ForStatement | ts.WhileStatement | ts.DoStatement,
  initial: (sym: ts.Symbol) => bigint | undefined, typeOf: (sym: ts.Symbol) => IntType,
): LoopBound {
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
  const bound = runtimeConstant(ctx, mod, boundNode);
  if (bound === undefined) return fail(`'${boundNode.getText(ctx.sf)}' is not a compile-time constant`);

  const start = ts.isForStatement(loop) ? forInitial(ctx, mod, loop, sym) : initial(sym);
  if (start === undefined) return fail(`'${counter.name}' must start at a constant value`);

  // Every change to the counter inside the loop (condition, body and, for `for`, the
  // incrementor).
  const steps: { step: bigint; node: ts.Node }[] = [];
  const visit = (n: ts.Node): void => {
    const step = stepOf(ctx, mod, n, counter);
    if (step === "other") fail(`'${counter.name}' is changed in a way the compiler cannot follow at line ${ctx.pos(n).line}`);
    if (typeof step === "bigint") steps.push({ step, node: n });
    ts.forEachChild(n, visit);
  };
  visit(condition);
  visit(loop.statement);
  if (ts.isForStatement(loop) && loop.incrementor) visit(loop.incrementor);
  if (steps.length !== 1) fail(steps.length === 0 ? `'${counter.name}' never changes inside the loop` : `'${counter.name}' changes in more than one place`);
  const { step, node: stepNode } = steps[0];
  // The step must run on every iteration: not under an if, ?:, &&, || or an inner
  // loop, and not skippable by `continue` (the verifier would find the path that never
  // moves the counter and reject the program as an infinite loop). A for loop's
  // condition and increment run on every iteration, `continue` included.
  if (conditionalAncestor(stepNode, loop)) {
    fail(`'${counter.name}' changes only on some iterations (its step at line ${ctx.pos(stepNode).line} is conditional); step it unconditionally`);
  }
  if (ts.isWhileStatement(loop) || ts.isDoStatement(loop)) {
    if (containsContinue(loop.statement)) fail("a while loop with 'continue' may skip its counter's step; use a for loop");
  } else if (isWithin(stepNode, loop.statement) && containsContinue(loop.statement)) {
    fail(`'continue' may skip the step of '${counter.name}' in the loop body; step it in the for loop's increment`);
  }

  const up = op === K.LessThanToken || op === K.LessThanEqualsToken;
  const down = op === K.GreaterThanToken || op === K.GreaterThanEqualsToken;
  if (!up && !down) fail("its condition must be <, <=, > or >= against the bound");
  if ((up && step <= 0n) || (down && step >= 0n)) fail(`'${counter.name}' moves away from its bound`);
  const span = up ? bound - start + (op === K.LessThanEqualsToken ? 1n : 0n) : start - bound + (op === K.GreaterThanEqualsToken ? 1n : 0n);
  const iterations = span <= 0n ? 0n : (span + (step < 0n ? -step : step) - 1n) / (step < 0n ? -step : step);
  if (iterations > BigInt(MAX_ITERATIONS)) fail(`it runs ${iterations} times; the limit is ${MAX_ITERATIONS}`);
  // The counter is narrowed to its type at every step: the value that ends the loop must
  // be one the type holds, or the counter wraps around and the loop never ends.
  const type = typeOf(sym);
  if (truncate(start, type) !== start) fail(`'${counter.name}' starts at ${start}, which its type ${type.name} cannot hold`);
  const last = start + iterations * step;
  if (truncate(last, type) !== last) fail(`'${counter.name}' would have to reach ${last} to end the loop, and its type ${type.name} wraps around before that`);
  return { trips: Number(iterations), counter: sym, start, step, exact: conjuncts(condition).length === 1 };
}

/** Is `n` inside `outer` (or `outer` itself)? */
function isWithin(n: ts.Node, outer: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent) if (p === outer) return true;
  return false;
}

/** The construct between `n` and `loop` that may skip `n`, if any. */
function conditionalAncestor(n: ts.Node, loop: ts.Node): ts.Node | undefined {
  for (let child = n, p = n.parent; p && p !== loop; child = p, p = p.parent) {
    if (ts.isIfStatement(p) && child !== p.expression) return p;
    if (ts.isConditionalExpression(p) && child !== p.condition) return p;
    if (ts.isBinaryExpression(p) && child === p.right) {
      const op = p.operatorToken.kind;
      if (op === K.AmpersandAmpersandToken || op === K.BarBarToken || op === K.QuestionQuestionToken) return p;
    }
    if (ts.isIterationStatement(p, false) || ts.isSwitchStatement(p)) return p;
  }
  return undefined;
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
    if (ts.isIdentifier(d.name) && ctx.symbolOf(d.name) === sym && d.initializer) return runtimeConstant(ctx, mod, d.initializer);
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
      const v = runtimeConstant(ctx, mod, n.right);
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
