// Stores into BPF memory: scalars narrowed to the field's type, object literals laid out
// field by field and array literals element by element (with the bytes they leave
// uncovered zeroed, so the verifier never sees uninitialised stack passed to a helper),
// struct copies, and Chars<N> buffers filled by string helpers.
// In: a memory destination and a TypeScript expression. Out: IR stores and calls.

import ts from "typescript";
import { sizeOf, type ArrayType, type CType, type StructType } from "../types/ctype.js";
import { isStringFill, lowerBuiltinInto } from "./builtins.js";
import { lowerExpr } from "./lower-expr.js";
import { skipParens } from "./module.js";
import { narrow, scalar, toOperand, type Lowerer, type Value } from "./values.js";

type Mem = Extract<Value, { kind: "mem" }>;

/** Stores `expr` into `dst`; `zeroed`: dst is all zero already (a string helper need not zero it). */
export function storeInto(L: Lowerer, dst: Mem, expr: ts.Expression, zeroed = false): void {
  expr = skipParens(expr);
  const t = dst.type;
  if (t.kind === "int" || t.kind === "ptr") {
    storeValue(L, dst, lowerExpr(L, expr, t));
    return;
  }
  if (t.kind === "struct" && ts.isObjectLiteralExpression(expr)) {
    storeObject(L, dst, t, expr);
    return;
  }
  if (t.kind === "array" && ts.isCallExpression(expr) && lowerBuiltinInto(L, dst, expr, zeroed)) return;
  if (t.kind === "array" && ts.isArrayLiteralExpression(expr)) {
    storeArray(L, dst, t, expr);
    return;
  }
  const v = lowerExpr(L, expr, t);
  if (v.kind !== "mem" || sizeOf(v.type) !== sizeOf(t) || v.type.kind !== t.kind) {
    L.ctx.fail("notAssignable", expr, `A value of this kind into a ${t.kind === "array" ? "fixed array" : "struct"} field`);
  }
  copyMem(L, dst, v, sizeOf(t));
}

/** Stores a scalar value (narrowed to the destination's type). */
export function storeValue(L: Lowerer, dst: Mem, v: Value): void {
  const t = dst.type;
  if (t.kind === "ptr") {
    const s = scalar(L, v);
    L.b.emit({ op: "store", base: dst.base, off: dst.off, size: 8, src: toOperand(L, s) });
    return;
  }
  if (t.kind !== "int") throw new Error("internal: storeValue into non-scalar");
  // A store writes the low bytes only: it narrows by itself, no extension needed.
  const s = scalar(L, v);
  const n = s.kind === "int" || s.kind === "ptr" ? s : narrow(L, s, t);
  L.b.emit({ op: "store", base: dst.base, off: dst.off, size: t.size, src: toOperand(L, n) });
}

function storeObject(L: Lowerer, dst: Mem, t: StructType, lit: ts.ObjectLiteralExpression): void {
  const given = new Map<string, ts.Expression>();
  for (const p of lit.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) given.set(p.name.text, p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) given.set(p.name.text, p.name);
    else L.ctx.fail("unsupportedSyntax", p, "This kind of object literal member");
  }
  // Bytes the literal's fields will write completely; the rest (padding, fields not given,
  // the buffers of string helpers) is zeroed first, in as few stores as the runs allow.
  const covered = new Uint8Array(t.size);
  for (const f of t.fields) {
    const e = given.get(f.name);
    if (e && writesWholeField(L, f.type, e)) covered.fill(1, f.offset, f.offset + sizeOf(f.type));
  }
  zeroUncovered(L, dst, covered);
  for (const f of t.fields) {
    const e = given.get(f.name);
    // A field left uncovered above is all zero now.
    if (e) storeInto(L, { kind: "mem", type: f.type, base: dst.base, off: dst.off + f.offset }, e, !covered[f.offset]);
  }
}

/** A FixedArray (or Chars) field from an array literal: element by element, the elements
 *  it leaves out zeroed. */
function storeArray(L: Lowerer, dst: Mem, t: ArrayType, lit: ts.ArrayLiteralExpression): void {
  const elems = lit.elements;
  if (elems.length > t.length) L.ctx.fail("unsupportedSyntax", elems[t.length], `An array literal with more than ${t.length} elements for a ${t.length}-element array`);
  const size = sizeOf(t.elem);
  const covered = new Uint8Array(sizeOf(t));
  covered.fill(1, 0, elems.length * size);
  zeroUncovered(L, dst, covered);
  elems.forEach((e, i) => {
    if (ts.isSpreadElement(e) || ts.isOmittedExpression(e)) L.ctx.fail("unsupportedSyntax", e, "A spread or a hole in an array literal");
    storeInto(L, { kind: "mem", type: t.elem, base: dst.base, off: dst.off + i * size }, e);
  });
}

/** Whether storing `e` into a field of type t writes every byte of it: comm() and
 *  readStr() write their string up to its NUL only. */
function writesWholeField(L: Lowerer, t: CType, e: ts.Expression): boolean {
  e = skipParens(e);
  return !(t.kind === "array" && ts.isCallExpression(e) && isStringFill(L.ctx.runtimeName(e.expression)));
}

/** Zeroes the uncovered byte runs with the widest aligned stores, from one zero register. */
export function zeroUncovered(L: Lowerer, dst: Mem, covered: Uint8Array): void {
  if (covered.every((c) => c)) return;
  const zero = L.b.constReg(0n);
  let i = 0;
  while (i < covered.length) {
    if (covered[i]) { i++; continue; }
    let size: 1 | 2 | 4 | 8 = 8;
    while (size > 1 && ((dst.off + i) % size !== 0 || i + size > covered.length || covered.subarray(i, i + size).some((c) => c))) size = (size / 2) as 1 | 2 | 4;
    L.b.emit({ op: "store", base: dst.base, off: dst.off + i, size, src: zero });
    i += size;
  }
}

/** Copies `size` bytes between BPF memory locations. */
export function copyMem(L: Lowerer, dst: Mem, src: Mem, size: number): void {
  let i = 0;
  while (i < size) {
    let w: 1 | 2 | 4 | 8 = 8;
    while (w > 1 && ((dst.off + i) % w !== 0 || (src.off + i) % w !== 0 || i + w > size)) w = (w / 2) as 1 | 2 | 4;
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: src.base, off: src.off + i, size: w });
    L.b.emit({ op: "store", base: dst.base, off: dst.off + i, size: w, src: r });
    i += w;
  }
}
