// Counted loops that only add up: `for (let i = A; i < B; i += S) { s += e; t -= f; n++ }`,
// each statement adding to (or subtracting from) a variable a polynomial of the counter
// (degree 3 at most: +, -, * of the counter, constants and values the loop does not
// change). Lowered without a loop, as s += Σ e(i) = Σ_j c_j · Σ_i i^j with the sums of
// the counter's powers computed at compile time: `for (i < 10) s += i * x` is one
// multiply, s += 45 * x. Exact in two's complement: +, - and * commute with wrapping and
// with the narrowing to s's type, so the sum is what the iterations would have left.
// In: a for loop whose bound checkLoopBound proved. Out: true and the IR of the sums, or
// false, nothing emitted, when the loop is not of that shape.

import ts from "typescript";
import { arith } from "./lower-arith.js";
import { compoundAssignValue } from "./lower-assign.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import type { LoopBound } from "./loops.js";
import { parseIntegerLiteral, skipParens } from "./module.js";
import { constVal, intTypeOf, scalar, toReg, type Lowerer, type Value } from "./values.js";

const K = ts.SyntaxKind;
const MAX_DEGREE = 3;

/** A polynomial of the counter: coefficients by degree (undefined: 0). */
type Poly = (Value | undefined)[];

/** `target op= term`; a term of 1 is `target++` or `target--`. */
interface Sum { target: ts.Identifier; op: "+" | "-"; term: ts.Expression | 1; node: ts.Node }

export function lowerSumLoop(L: Lowerer, s: ts.ForStatement, bound: LoopBound): boolean {
  const sums = sumsOf(L, s, bound);
  if (!sums) return false;
  const powers = powerSums(bound);
  for (const sum of sums) {
    L.b.loc = L.ctx.pos(sum.node);
    let total: Value | undefined;
    (sum.term === 1 ? [constVal(1n)] : polynomial(L, sum.term, bound.counter)).forEach((c, j) => {
      const p = powers[j]!;
      if (!c || p === 0n) return;
      const term = p === 1n ? c : arith(L, "*", c, constVal(p), sum.node);
      total = total ? arith(L, "+", total, term, sum.node) : term;
    });
    if (total) compoundAssignValue(L, sum.target, sum.op, total, sum.node);
  }
  return true;
}

/** The loop's statements as sums, if it is a counted loop of them alone. */
function sumsOf(L: Lowerer, s: ts.ForStatement, bound: LoopBound): Sum[] | undefined {
  const init = s.initializer;
  if (!bound.exact || !s.incrementor || !init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const d = init.declarations[0]!;
  if (!ts.isIdentifier(d.name) || L.ctx.symbolOf(d.name) !== bound.counter) return undefined;
  const stmts = ts.isBlock(s.statement) ? [...s.statement.statements] : [s.statement];
  const sums: Sum[] = [];
  for (const st of stmts) {
    const sum = ts.isExpressionStatement(st) ? sumOf(st.expression) : undefined;
    if (!sum) return undefined;
    const { op, target, term } = sum;
    const b = bindingOf(L, target);
    if (b?.kind !== "reg" || b.type.kind !== "int" || L.ctx.symbolOf(target) === bound.counter) return undefined;
    sums.push({ target, op, term, node: st });
  }
  const changed = new Set(sums.map((x) => L.ctx.symbolOf(x.target)));
  return sums.every((x) => x.term === 1 || degree(L, x.term, bound.counter, changed) !== undefined) ? sums : undefined;
}

/** `x += e`, `x -= e`, `x++`, `x--` (prefix or postfix) on a name. */
function sumOf(e: ts.Expression): Omit<Sum, "node"> | undefined {
  let op: "+" | "-" | undefined, target: ts.Expression, term: Sum["term"];
  if (ts.isBinaryExpression(e)) {
    op = e.operatorToken.kind === K.PlusEqualsToken ? "+" : e.operatorToken.kind === K.MinusEqualsToken ? "-" : undefined;
    [target, term] = [e.left, e.right];
  } else if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) {
    op = e.operator === K.PlusPlusToken ? "+" : e.operator === K.MinusMinusToken ? "-" : undefined;
    [target, term] = [e.operand, 1];
  } else return undefined;
  target = skipParens(target);
  return op && ts.isIdentifier(target) ? { op, target, term } : undefined;
}

/** The degree of an expression in the counter, or undefined when it is not a polynomial
 *  of it of degree MAX_DEGREE at most with coefficients fixed in the loop. */
function degree(L: Lowerer, e: ts.Expression, counter: ts.Symbol, changed: Set<ts.Symbol | undefined>): number | undefined {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return parseIntegerLiteral(e.getText(L.ctx.sf)) === undefined ? undefined : 0;
  if (ts.isIdentifier(e)) {
    const sym = L.ctx.symbolOf(e);
    if (sym === counter) return 1;
    const b = bindingOf(L, e);
    const fixed = b && !changed.has(sym) && (b.kind === "const" || ((b.kind === "reg" || b.kind === "mem") && b.type.kind === "int") || (b.kind === "global" && b.global.type.kind === "int"));
    return fixed ? 0 : undefined;
  }
  if (ts.isPrefixUnaryExpression(e) && (e.operator === K.MinusToken || e.operator === K.PlusToken)) return degree(L, e.operand, counter, changed);
  if (!ts.isBinaryExpression(e)) return undefined;
  const a = degree(L, e.left, counter, changed), b = degree(L, e.right, counter, changed);
  if (a === undefined || b === undefined) return undefined;
  const op = e.operatorToken.kind;
  if (op === K.PlusToken || op === K.MinusToken) return Math.max(a, b);
  return op === K.AsteriskToken && a + b <= MAX_DEGREE ? a + b : undefined;
}

/** The coefficients of an expression degree() accepted, lowered (values read once). */
function polynomial(L: Lowerer, e: ts.Expression, counter: ts.Symbol): Poly {
  e = skipParens(e);
  if (ts.isIdentifier(e) && L.ctx.symbolOf(e) === counter) return [undefined, constVal(1n)];
  if (ts.isNumericLiteral(e) || ts.isIdentifier(e)) return [scalar(L, lowerExpr(L, e))];
  if (ts.isPrefixUnaryExpression(e)) {
    const p = polynomial(L, e.operand, counter);
    return e.operator === K.MinusToken ? p.map((c) => c && negate(L, c)) : p;
  }
  const b = e as ts.BinaryExpression;
  const x = polynomial(L, b.left, counter), y = polynomial(L, b.right, counter);
  const out: Poly = [];
  const add = (j: number, v: Value, op: string): void => { out[j] = out[j] ? arith(L, op, out[j]!, v, e) : op === "-" ? negate(L, v) : v; };
  if (b.operatorToken.kind === K.AsteriskToken) {
    x.forEach((u, j) => y.forEach((v, k) => { if (u && v) add(j + k, arith(L, "*", u, v, e), "+"); }));
    return out;
  }
  const op = b.operatorToken.kind === K.PlusToken ? "+" : "-";
  x.forEach((u, j) => { if (u) add(j, u, "+"); });
  y.forEach((v, k) => { if (v) add(k, v, op); });
  return out;
}

function negate(L: Lowerer, v: Value): Value {
  if (v.kind === "const") return constVal(-v.value, v.type);
  const r = L.b.newReg();
  L.b.emit({ op: "neg", dst: r, a: toReg(L, v) });
  return { kind: "int", type: intTypeOf(v), reg: r };
}

/** Σ i^j over the counter's values, j = 0..MAX_DEGREE, wrapped to 64 bits. */
function powerSums(bound: LoopBound): bigint[] {
  const sums = new Array<bigint>(MAX_DEGREE + 1).fill(0n);
  for (let k = 0, i = bound.start; k < bound.trips; k++, i += bound.step) {
    let p = 1n;
    for (let j = 0; j <= MAX_DEGREE; j++, p *= i) sums[j] = BigInt.asIntN(64, sums[j]! + p);
  }
  return sums;
}
