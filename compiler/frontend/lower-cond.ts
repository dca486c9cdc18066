// Conditions: comparisons (signed or unsigned by the operands' types), &&, ||, !, the
// `=== undefined` test of a map value, and range checks, lowered straight to branches.
// In: a condition expression and the blocks to go to when it holds or not. Out: IR
// branches; condToValue materialises a condition as 0 or 1.

import ts from "typescript";
import { compareConstants } from "../ir/compare.js";
import type { Block, CmpOp, VReg } from "../ir/ir.js";
import { BOOL } from "../types/ctype.js";
import { beforeLater } from "./eval-order.js";
import { isU64 } from "./lower-arith.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import { runtimeConstant, skipParens } from "./module.js";
import { lowerLiteralCompare, lowerStartsWith } from "./strings.js";
import { loadScalar, scalar, toOperand, toReg, type Lowerer, type Value } from "./values.js";

const K = ts.SyntaxKind;

export const COMPARE: Partial<Record<ts.SyntaxKind, [CmpOp, CmpOp]>> = {
  // [signed, unsigned]
  [K.EqualsEqualsEqualsToken]: ["eq", "eq"], [K.EqualsEqualsToken]: ["eq", "eq"],
  [K.ExclamationEqualsEqualsToken]: ["ne", "ne"], [K.ExclamationEqualsToken]: ["ne", "ne"],
  [K.LessThanToken]: ["slt", "ult"], [K.LessThanEqualsToken]: ["sle", "ule"],
  [K.GreaterThanToken]: ["sgt", "ugt"], [K.GreaterThanEqualsToken]: ["sge", "uge"],
};

/** A comparison of two scalars, ready for a branch; or a constant outcome. */
export function compare(L: Lowerer, op: ts.SyntaxKind, av: Value, bv: Value, node: ts.Node): { cmp: CmpOp; a: VReg; b: ReturnType<typeof toOperand> } | boolean {
  let a = scalar(L, av), b = scalar(L, bv);
  for (const v of [a, b]) {
    if (v.kind !== "int" && v.kind !== "const" && v.kind !== "ptr") L.ctx.fail("unsupportedSyntax", node, "Comparing a struct or an unchecked map value");
  }
  const unsigned = isU64(a) || isU64(b) || a.kind === "ptr" || b.kind === "ptr";
  let cmp = COMPARE[op]![unsigned ? 1 : 0];
  if (a.kind === "const" && b.kind === "const") return compareConstants(cmp, a.value, b.value);
  if (a.kind === "const") {
    [a, b] = [b, a];
    cmp = MIRROR[cmp];
  }
  return { cmp, a: toReg(L, a), b: toOperand(L, b) };
}

const MIRROR: Record<CmpOp, CmpOp> = {
  eq: "eq", ne: "ne", set: "set", ugt: "ult", uge: "ule", ult: "ugt", ule: "uge", sgt: "slt", sge: "sle", slt: "sgt", sle: "sge",
};

/** Lowers a condition straight to a branch to `t` or `f`. */
export function lowerCond(L: Lowerer, e: ts.Expression, t: Block, f: Block): void {
  L.b.loc = L.ctx.pos(e);
  e = skipParens(e);
  if (ts.isPrefixUnaryExpression(e) && e.operator === K.ExclamationToken) return lowerCond(L, e.operand, f, t);
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      const range = op === K.AmpersandAmpersandToken ? rangeCheck(L, e.left, e.right) : undefined;
      if (range) return branch(L, range, t, f);
      const mid = L.b.newBlock();
      if (op === K.AmpersandAmpersandToken) lowerCond(L, e.left, mid, f);
      else lowerCond(L, e.left, t, mid);
      L.b.setBlock(mid);
      return lowerCond(L, e.right, t, f);
    }
    if (COMPARE[op]) {
      const eq = op === K.EqualsEqualsEqualsToken || op === K.EqualsEqualsToken;
      const ne = op === K.ExclamationEqualsEqualsToken || op === K.ExclamationEqualsToken;
      const other = isNullish(e.right) ? e.left : isNullish(e.left) ? e.right : undefined;
      if (other && (eq || ne)) {
        const reg = maybeRef(L, other);
        return branch(L, { cmp: eq ? "eq" : "ne", a: reg, b: { imm: 0n } }, t, f);
      }
      if (lowerLiteralCompare(L, op, e.left, e.right, t, f)) return;
      const left = beforeLater(L, lowerExpr(L, e.left), [e.right]);
      return branch(L, compare(L, op, left, lowerExpr(L, e.right), e), t, f);
    }
  }
  if (ts.isCallExpression(e) && L.ctx.runtimeName(e.expression) === "startsWith") return lowerStartsWith(L, e, t, f);
  const v = lowerExpr(L, e);
  if (v.kind === "maybe") {
    if (v.type.kind !== "int") return branch(L, { cmp: "ne", a: v.reg, b: { imm: 0n } }, t, f);
    // `if (n)` on a number | undefined: defined and non-zero, as in TypeScript.
    const mid = L.b.newBlock();
    branch(L, { cmp: "ne", a: v.reg, b: { imm: 0n } }, mid, f);
    L.b.setBlock(mid);
    return branch(L, { cmp: "ne", a: toReg(L, loadScalar(L, { kind: "mem", type: v.type, base: { reg: v.reg }, off: 0 })), b: { imm: 0n } }, t, f);
  }
  const s = scalar(L, v);
  if (s.kind === "const") return L.b.jump(s.value !== 0n ? t : f);
  if (s.kind !== "int" && s.kind !== "ptr") L.ctx.fail("unsupportedSyntax", e, "A struct as a condition");
  branch(L, { cmp: "ne", a: toReg(L, s), b: { imm: 0n } }, t, f);
}

/** `x >= 0 && x < N` (or `<= N`) on a signed x and a constant N >= 0 is one unsigned
 *  comparison, `x u< N`: negative values are huge when read unsigned. */
function rangeCheck(L: Lowerer, lower: ts.Expression, upper: ts.Expression): ReturnType<typeof compare> | undefined {
  lower = skipParens(lower);
  upper = skipParens(upper);
  if (!ts.isBinaryExpression(lower) || !ts.isBinaryExpression(upper)) return undefined;
  const x = skipParens(lower.left);
  const lo = lower.operatorToken.kind;
  const hi = upper.operatorToken.kind;
  if (!ts.isIdentifier(x) || lo !== K.GreaterThanEqualsToken || (hi !== K.LessThanToken && hi !== K.LessThanEqualsToken)) return undefined;
  const y = skipParens(upper.left);
  if (!ts.isIdentifier(y) || L.ctx.symbolOf(x) !== L.ctx.symbolOf(y)) return undefined;
  const zero = constantOf(L, lower.right);
  const bound = constantOf(L, upper.right);
  if (zero !== 0n || bound === undefined || bound < 0n) return undefined;
  const v = scalar(L, lowerExpr(L, x));
  if (v.kind !== "int" || !v.type.signed) return undefined;
  return { cmp: hi === K.LessThanToken ? "ult" : "ule", a: v.reg, b: { imm: bound } };
}

/** The value of a literal or a constant name, without emitting anything. */
export function constantOf(L: Lowerer, e: ts.Expression): bigint | undefined {
  e = skipParens(e);
  if (ts.isIdentifier(e)) {
    const b = bindingOf(L, e);
    return b?.kind === "const" ? b.value : undefined;
  }
  return runtimeConstant(L.ctx, L.mod, e);
}

function branch(L: Lowerer, c: ReturnType<typeof compare>, t: Block, f: Block): void {
  if (typeof c === "boolean") return L.b.jump(c ? t : f);
  L.b.terminate({ op: "br", cmp: c.cmp, a: c.a, b: c.b, then: L.b.ref(t), else: L.b.ref(f) });
}

function isNullish(e: ts.Expression): boolean {
  e = skipParens(e);
  return e.kind === K.NullKeyword || (ts.isIdentifier(e) && e.text === "undefined");
}

/** The pointer register of a map value that may be undefined (for === undefined tests). */
function maybeRef(L: Lowerer, e: ts.Expression): VReg {
  e = skipParens(e);
  if (ts.isIdentifier(e)) {
    const b = bindingOf(L, e);
    if (b?.kind === "maybe") return b.reg;
  }
  const v = lowerExpr(L, e);
  if (v.kind === "maybe") return v.reg;
  if (v.kind === "ptr") return v.reg;
  return L.ctx.fail("unsupportedSyntax", e, "Comparing this value with undefined (only map values from get() can be undefined)");
}

/** A condition used as a value: 0 or 1. */
export function condToValue(L: Lowerer, e: ts.Expression): Value {
  const dst = L.b.newReg();
  const t = L.b.newBlock(), f = L.b.newBlock(), join = L.b.newBlock();
  lowerCond(L, e, t, f);
  L.b.setBlock(t);
  L.b.emit({ op: "const", dst, value: 1n });
  L.b.jump(join);
  L.b.setBlock(f);
  L.b.emit({ op: "const", dst, value: 0n });
  L.b.jump(join);
  L.b.setBlock(join);
  return { kind: "int", type: BOOL, reg: dst };
}
