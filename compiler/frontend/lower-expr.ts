// Lowers TypeScript expressions of the subset to IR.
// In: an expression node and the lowering state. Out: a Value (register, constant,
// BPF memory, probed memory or a map reference), IR emitted on the way. Arithmetic is in
// lower-arith.ts, conditions in lower-cond.ts, assignments in lower-assign.ts.

import ts from "typescript";
import type { VReg } from "../ir/ir.js";
import { BOOL, I64, findField, sizeOf, type CType, type IntType } from "../types/ctype.js";
import { arith, resultType } from "./lower-arith.js";
import { assign, compoundAssign, lowerIncDec } from "./lower-assign.js";
import { dynamicElement, indexValue, readDynamicElement } from "./lower-index.js";
import { lowerCall } from "./lower-call.js";
import { COMPARE, condToValue, constantOf, lowerCond } from "./lower-cond.js";
import { checkNotDeleted } from "./deleted-values.js";
import { beforeLater } from "./eval-order.js";
import { kernelEnumerator } from "./kernel-enums.js";
import { storeInto } from "./lower-store.js";
import { integerLiteral, skipParens } from "./module.js";
import type { GlobalInfo } from "./globals.js";
import { fieldOf, elementOf } from "./probed.js";
import {
  constVal, intTypeOf, literalType, loadScalar, narrow, scalar, toReg, truncate,
  type Binding, type Lowerer, type Value,
} from "./values.js";

const K = ts.SyntaxKind;

export function lowerExpr(L: Lowerer, e: ts.Expression, expected?: CType): Value {
  L.b.loc = L.ctx.pos(e);
  e = skipParens(e);
  if (ts.isNumericLiteral(e) || ts.isBigIntLiteral(e)) {
    const v = integerLiteral(L.ctx, e);
    if (v === undefined) return L.ctx.fail("floatNotAllowed", e);
    if (v >= 1n << 64n) L.ctx.fail("intOutOfRange", e, e.getText(L.ctx.sf));
    return constVal(v, expected?.kind === "int" ? expected : literalType(v));
  }
  if (e.kind === K.TrueKeyword) return constVal(1n, BOOL);
  if (e.kind === K.FalseKeyword) return constVal(0n, BOOL);
  if (ts.isIdentifier(e)) return lowerIdentifier(L, e);
  if (ts.isPrefixUnaryExpression(e)) return lowerPrefix(L, e);
  if (ts.isPostfixUnaryExpression(e)) return lowerIncDec(L, e.operand, e.operator === K.PlusPlusToken ? "add" : "sub", true);
  if (ts.isBinaryExpression(e)) return lowerBinary(L, e, expected);
  if (ts.isConditionalExpression(e)) return lowerConditional(L, e, expected);
  if (ts.isPropertyAccessExpression(e)) return lowerProperty(L, e);
  if (ts.isElementAccessExpression(e)) return lowerElement(L, e);
  if (ts.isCallExpression(e)) return lowerCall(L, e, expected);
  if (ts.isAsExpression(e) || ts.isTypeAssertionExpression(e)) return lowerCast(L, e);
  if (ts.isObjectLiteralExpression(e)) {
    if (!expected || expected.kind !== "struct") return L.ctx.fail("unsupportedSyntax", e, "An object literal whose struct type is not known here (annotate the variable)");
    const slot = L.b.newSlot(sizeOf(expected), expected.align, "literal");
    const m: Value = { kind: "mem", type: expected, base: { slot }, off: 0 };
    storeInto(L, m, e);
    return m;
  }
  if (ts.isNonNullExpression(e)) return L.ctx.fail("uncheckedMapValue", e);
  return L.ctx.fail("unsupportedSyntax", e, describe(e));
}

function describe(e: ts.Node): string {
  if (ts.isStringLiteral(e) || ts.isTemplateExpression(e) || ts.isNoSubstitutionTemplateLiteral(e)) return "A string outside printk()";
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return "A function expression (closure)";
  if (ts.isNewExpression(e)) return "'new' inside a program (declare maps at the top level)";
  if (ts.isArrayLiteralExpression(e)) return "An array literal";
  if (e.kind === K.ThisKeyword) return "'this'";
  if (e.kind === K.NullKeyword || (ts.isIdentifier(e) && e.text === "undefined")) return "A null or undefined value outside a comparison";
  return `This expression (${K[e.kind]})`;
}

/** Looks up what a name is bound to. */
export function bindingOf(L: Lowerer, id: ts.Identifier): Binding | undefined {
  const sym = L.ctx.symbolOf(id);
  if (!sym) return undefined;
  const b = L.env.get(sym);
  if (b) return b;
  const c = L.mod.constants.get(sym);
  if (c !== undefined) return { kind: "const", value: c, type: literalType(c) };
  const g = L.mod.globals.get(sym);
  if (g) return { kind: "global", global: g };
  const m = L.mod.maps.get(sym);
  return m ? { kind: "map", map: m } : undefined;
}

function lowerIdentifier(L: Lowerer, id: ts.Identifier): Value {
  const b = bindingOf(L, id);
  if (!b) return L.ctx.fail("unknownName", id, id.text);
  switch (b.kind) {
    case "reg": return b.type.kind === "ptr" ? { kind: "ptr", type: b.type, reg: b.reg } : { kind: "int", type: b.type, reg: b.reg };
    case "mem": return { kind: "mem", type: b.type, base: b.base, off: b.off, readOnly: b.readOnly };
    case "global": return globalMemory(L, b.global);
    case "const": return constVal(b.value, b.type);
    case "maybe":
      if (b.map) checkNotDeleted(L, id, b.map);
      return isDefinedHere(L, id) ? deref(b.reg, b.type) : { kind: "maybe", type: b.type, reg: b.reg, map: b.map };
    case "map": return L.ctx.fail("unknownName", id, `${id.text}' is a map: call its methods (get, set, delete, add, output); '${id.text}`);
  }
}

/** A global's memory: its address in its data section (an ld_imm64 that libbpf points
 *  at the section's map value). A setting is read-only. */
export function globalMemory(L: Lowerer, g: GlobalInfo): Extract<Value, { kind: "mem" }> {
  const reg = L.b.newReg();
  L.b.emit({ op: "symref", dst: reg, kind: "data", symbol: g.name, at: { section: g.section, offset: L.mod.globalOffsets.get(g.name)! } });
  return { kind: "mem", type: g.type, base: { reg }, off: 0, readOnly: g.section === ".rodata" };
}

/** TypeScript's flow narrowing says this use of a `V | undefined` variable is defined. */
function isDefinedHere(L: Lowerer, node: ts.Node): boolean {
  const t = L.ctx.checker.getTypeAtLocation(node);
  const parts = t.isUnion() ? t.types : [t];
  return !parts.some((p) => p.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null));
}

/** A checked map value pointer seen as memory of the value type. */
export function deref(reg: VReg, type: CType): Value {
  return { kind: "mem", type, base: { reg }, off: 0 };
}

function lowerPrefix(L: Lowerer, e: ts.PrefixUnaryExpression): Value {
  switch (e.operator) {
    case K.PlusPlusToken: return lowerIncDec(L, e.operand, "add", false);
    case K.MinusMinusToken: return lowerIncDec(L, e.operand, "sub", false);
    case K.ExclamationToken: return condToValue(L, e);
    case K.PlusToken: return scalar(L, lowerExpr(L, e.operand));
    case K.MinusToken: {
      const v = intOperand(L, e.operand);
      // A constant promotes like a register: only a u64 stays unsigned.
      if (v.kind === "const") return constVal(-v.value, resultType(v, v));
      const r = L.b.newReg();
      L.b.emit({ op: "neg", dst: r, a: toReg(L, v) });
      return { kind: "int", type: resultType(v, v), reg: r };
    }
    case K.TildeToken: {
      const v = intOperand(L, e.operand);
      if (v.kind === "const") return constVal(~v.value, resultType(v, v));
      const r = L.b.newReg();
      L.b.emit({ op: "alu", alu: "xor", dst: r, a: toReg(L, v), b: { imm: -1n } });
      return { kind: "int", type: resultType(v, v), reg: r };
    }
  }
}

/** An integer operand (memory scalars loaded; pointers and structs refused). */
function intOperand(L: Lowerer, e: ts.Expression): Value {
  const v = scalar(L, lowerExpr(L, e));
  if (v.kind !== "int" && v.kind !== "const") L.ctx.fail("unsupportedSyntax", e, `Arithmetic on a ${v.kind === "ptr" ? "pointer" : v.kind === "maybe" ? "map value that may be undefined" : "struct"}`);
  return v;
}

const ARITH: Partial<Record<ts.SyntaxKind, string>> = {
  [K.PlusToken]: "+", [K.MinusToken]: "-", [K.AsteriskToken]: "*", [K.SlashToken]: "/", [K.PercentToken]: "%",
  [K.AmpersandToken]: "&", [K.BarToken]: "|", [K.CaretToken]: "^",
  [K.LessThanLessThanToken]: "<<", [K.GreaterThanGreaterThanToken]: ">>", [K.GreaterThanGreaterThanGreaterThanToken]: ">>>",
};

const COMPOUND: Partial<Record<ts.SyntaxKind, string>> = {
  [K.PlusEqualsToken]: "+", [K.MinusEqualsToken]: "-", [K.AsteriskEqualsToken]: "*", [K.SlashEqualsToken]: "/",
  [K.PercentEqualsToken]: "%", [K.AmpersandEqualsToken]: "&", [K.BarEqualsToken]: "|", [K.CaretEqualsToken]: "^",
  [K.LessThanLessThanEqualsToken]: "<<", [K.GreaterThanGreaterThanEqualsToken]: ">>", [K.GreaterThanGreaterThanGreaterThanEqualsToken]: ">>>",
};

function lowerBinary(L: Lowerer, e: ts.BinaryExpression, expected?: CType): Value {
  const op = e.operatorToken.kind;
  if (op === K.EqualsToken) return assign(L, e.left, e.right);
  const compound = COMPOUND[op];
  if (compound) return compoundAssign(L, e.left, compound, e.right, e);
  const ar = ARITH[op];
  if (ar) {
    const left = beforeLater(L, lowerExpr(L, e.left), [e.right]);
    return arith(L, ar, left, lowerExpr(L, e.right), e);
  }
  if (COMPARE[op] || op === K.AmpersandAmpersandToken || op === K.BarBarToken) return condToValue(L, e);
  if (op === K.QuestionQuestionToken) return lowerNullish(L, e, expected);
  if (op === K.CommaToken) {
    lowerExpr(L, e.left);
    return lowerExpr(L, e.right, expected);
  }
  return L.ctx.fail("unsupportedSyntax", e.operatorToken, `The operator '${e.operatorToken.getText(L.ctx.sf)}'`);
}

function lowerConditional(L: Lowerer, e: ts.ConditionalExpression, expected?: CType): Value {
  const known = constantOf(L, e.condition);
  if (known !== undefined) return knownConditional(L, e, known !== 0n, expected);
  const t = L.b.newBlock(), f = L.b.newBlock(), join = L.b.newBlock();
  const dst = L.b.newReg();
  lowerCond(L, e.condition, t, f);
  L.b.setBlock(t);
  const a = scalar(L, lowerExpr(L, e.whenTrue, expected));
  moveInto(L, dst, a, e.whenTrue);
  L.b.jump(join);
  L.b.setBlock(f);
  const b = scalar(L, lowerExpr(L, e.whenFalse, expected));
  moveInto(L, dst, b, e.whenFalse);
  L.b.jump(join);
  L.b.setBlock(join);
  if (a.kind === "ptr" && b.kind === "ptr") return { kind: "ptr", type: a.type, reg: dst };
  return { kind: "int", type: branchesType(a, b), reg: dst };
}

/** `c ? a : b` with c a constant (a constant argument of an inlined call, say): the arm
 *  taken is the value, typed as the conditional; the other is lowered where nothing
 *  reaches it (for its type and diagnostics) and goes in the clean-up. */
function knownConditional(L: Lowerer, e: ts.ConditionalExpression, holds: boolean, expected?: CType): Value {
  const [taken, skipped] = holds ? [e.whenTrue, e.whenFalse] : [e.whenFalse, e.whenTrue];
  const a = scalar(L, lowerExpr(L, taken, expected));
  const on = L.b.newBlock(), dead = L.b.newBlock();
  L.b.jump(on);
  L.b.setBlock(dead);
  const b = scalar(L, lowerExpr(L, skipped, expected));
  L.b.jump(on);
  L.b.setBlock(on);
  if (a.kind === "ptr" && b.kind === "ptr") return a;
  if (a.kind !== "int" && a.kind !== "const") return L.ctx.fail("unsupportedSyntax", taken, "A struct or unchecked map value as a conditional's result");
  const type = holds ? branchesType(a, b) : branchesType(b, a);
  return a.kind === "const" ? { kind: "const", type, value: a.value } : { kind: "int", type, reg: a.reg };
}

function moveInto(L: Lowerer, dst: VReg, v: Value, node: ts.Node): void {
  if (v.kind === "const") L.b.emit({ op: "const", dst, value: BigInt.asIntN(64, v.value) });
  else if (v.kind === "int" || v.kind === "ptr") L.b.emit({ op: "mov", dst, src: v.reg });
  else L.ctx.fail("unsupportedSyntax", node, "A struct or unchecked map value as a conditional's result");
}

/** `m.get(k) ?? fallback`. The left side is evaluated once. A fallback that may be
 *  undefined itself (`a.get(k) ?? b.get(k) ?? 0`) makes the result a map value
 *  reference that may be undefined: whichever pointer is not null. Otherwise the
 *  result is the value or the fallback, typed as a conditional would be. */
function lowerNullish(L: Lowerer, e: ts.BinaryExpression, expected?: CType): Value {
  const left = lowerExpr(L, e.left);
  if (left.kind !== "maybe" || left.type.kind !== "int") return L.ctx.fail("unsupportedSyntax", e, "'??' on anything but an integer map value");
  const valueType = left.type;
  const isNull = L.b.newBlock(), has = L.b.newBlock(), join = L.b.newBlock();
  const dst = L.b.newReg();
  L.b.terminate({ op: "br", cmp: "eq", a: left.reg, b: { imm: 0n }, then: L.b.ref(isNull), else: L.b.ref(has) });
  L.b.setBlock(isNull);
  const right = lowerExpr(L, e.right, expected);
  if (right.kind === "maybe") {
    if (right.type.kind !== "int" || right.type.size !== valueType.size || right.type.signed !== valueType.signed) {
      L.ctx.fail("unsupportedSyntax", e, "'??' between map values of different types");
    }
    L.b.emit({ op: "mov", dst, src: right.reg });
    L.b.jump(join);
    L.b.setBlock(has);
    L.b.emit({ op: "mov", dst, src: left.reg });
    L.b.jump(join);
    L.b.setBlock(join);
    return { kind: "maybe", type: valueType, reg: dst };
  }
  const fallback = scalar(L, right);
  const value: Value = { kind: "int", type: valueType, reg: 0 };
  const type = branchesType(value, fallback);
  moveInto(L, dst, fallback.kind === "int" || fallback.kind === "const" ? narrow(L, fallback, type) : fallback, e.right);
  L.b.jump(join);
  L.b.setBlock(has);
  moveInto(L, dst, loadScalar(L, { kind: "mem", type: valueType, base: { reg: left.reg }, off: 0 }), e.left);
  L.b.jump(join);
  L.b.setBlock(join);
  return { kind: "int", type, reg: dst };
}

/** The type of a value that is one of two scalars (`c ? a : b`, `v ?? d`): their common
 *  type, or an untyped constant takes the other side's type when it fits it; otherwise
 *  the promoted type, which holds both (a u32 or -1 is an i64). */
function branchesType(a: Value, b: Value): IntType {
  const ta = intTypeOf(a), tb = intTypeOf(b);
  if (a.kind === "const" && a.type === undefined && fits(a.value, tb)) return tb;
  if (b.kind === "const" && b.type === undefined && fits(b.value, ta)) return ta;
  if (ta.size === tb.size && ta.signed === tb.signed && (ta.name === "bool") === (tb.name === "bool")) return ta;
  return resultType(a, b);
}

function fits(v: bigint, t: IntType): boolean {
  return t.name === "bool" ? v === 0n || v === 1n : truncate(v, t) === v;
}

function lowerProperty(L: Lowerer, e: ts.PropertyAccessExpression): Value {
  if (e.questionDotToken) L.ctx.fail("unsupportedSyntax", e, "Optional chaining '?.'");
  // A kernel enumerator: this kernel's value (enumValue() is the loading kernel's).
  const enumerator = kernelEnumerator(L.ctx, e);
  if (enumerator) return constVal(enumerator.value, enumerator.root.int);
  const obj = lowerExpr(L, e.expression);
  const name = e.name.text;
  if ((obj.kind === "mem" || obj.kind === "ptr") && obj.type.kind === "array" && name === "length") return constVal(BigInt(obj.type.length), I64);
  if (obj.kind === "mem" && obj.type.kind === "struct") {
    const f = findField(obj.type, name);
    if (!f) return L.ctx.fail("unknownName", e.name, name);
    return { kind: "mem", type: f.type, base: obj.base, off: obj.off + f.offset, readOnly: obj.readOnly, bitfield: f.bitfield };
  }
  if (obj.kind === "ptr" || obj.kind === "probed") return fieldOf(L, obj, name, e);
  if (obj.kind === "maybe") return L.ctx.fail("uncheckedMapValue", e.expression);
  return L.ctx.fail("unsupportedSyntax", e, `Reading '.${name}' of a ${obj.kind === "mem" ? "scalar" : obj.kind}`);
}

function lowerElement(L: Lowerer, e: ts.ElementAccessExpression): Value {
  const obj = lowerExpr(L, e.expression);
  const raw = scalar(L, lowerExpr(L, e.argumentExpression));
  const idx = obj.kind === "mem" && obj.type.kind === "array" ? indexValue(L, raw, obj.type.length, e) : raw;
  if (idx.kind !== "const") {
    if (obj.kind === "mem" && obj.type.kind === "array") return readDynamicElement(L, dynamicElement(L, obj, idx, e));
    return L.ctx.fail("unsupportedSyntax", e.argumentExpression, "A run-time index into the probed program's memory (index arrays in BPF memory, or use a constant)");
  }
  if (obj.kind === "mem" && obj.type.kind === "array") {
    if (idx.value < 0n || idx.value >= BigInt(obj.type.length)) L.ctx.fail("unsupportedSyntax", e.argumentExpression, `Index ${idx.value} outside 0..${obj.type.length - 1}`);
    const i = Number(idx.value);
    return { kind: "mem", type: obj.type.elem, base: obj.base, off: obj.off + i * sizeOf(obj.type.elem), readOnly: obj.readOnly };
  }
  if (obj.kind === "probed" && obj.type.kind === "array") return elementOf(L, obj, Number(idx.value), e);
  return L.ctx.fail("unsupportedSyntax", e, "Indexing something that is not a fixed array");
}

function lowerCast(L: Lowerer, e: ts.AsExpression | ts.TypeAssertion): Value {
  const t = L.types.resolve(e.type);
  const v = lowerExpr(L, e.expression, t);
  if (t.kind === "int") {
    const s = scalar(L, v);
    if (s.kind !== "int" && s.kind !== "const" && s.kind !== "ptr") L.ctx.fail("unsupportedSyntax", e, "Casting this value to an integer");
    return narrow(L, s, t);
  }
  if (t.kind === "ptr") {
    const s = scalar(L, v);
    if (s.kind !== "int" && s.kind !== "ptr" && s.kind !== "const") L.ctx.fail("unsupportedSyntax", e, "Casting this value to a pointer");
    return { kind: "ptr", type: t, reg: toReg(L, s) };
  }
  // `{ a: 1 } as S`: an object literal of S that leaves members out (TypeScript allows
  // that in an assertion only).
  if (t.kind === "struct" && ts.isObjectLiteralExpression(skipParens(e.expression))) return v;
  return L.ctx.fail("unsupportedSyntax", e, `A cast to ${e.type.getText(L.ctx.sf)}`);
}
