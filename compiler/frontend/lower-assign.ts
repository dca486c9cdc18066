// Assignment: plain, compound and ++/--, to scalar variables, map-value variables,
// fields in BPF memory and array elements at run-time indexes (which write nothing when
// out of range); each stored value narrowed to its destination's type.
// In: the target and value expressions. Out: IR moves and stores; the assigned value.

import ts from "typescript";
import type { VReg } from "../ir/ir.js";
import { sizeOf, type IntType } from "../types/ctype.js";
import { narrowToBitfield, truncateToBitfield } from "./bitfields.js";
import { arith } from "./lower-arith.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import { beforeLater, mayWrite } from "./eval-order.js";
import { aggregateElement, closeGuard, dynamicElement, indexValue, isScalarElement, openElement, readDynamicElement, type DynamicElement } from "./lower-index.js";
import { copyMem, storeInto, storeValue } from "./lower-store.js";
import { skipParens } from "./module.js";
import { constVal, narrow, newLocal, scalar, toReg, type Binding, type Lowerer, type Value } from "./values.js";

type LValue =
  | { kind: "var"; binding: Extract<Binding, { kind: "reg" | "maybe" }>; node: ts.Node }
  | { kind: "mem"; mem: Extract<Value, { kind: "mem" }>; node: ts.Node }
  /** arr[i] with a run-time i: accessed inside a bounds check (openElement/closeGuard). */
  | { kind: "element"; element: DynamicElement; node: ts.Node };

/** The place `e` names; `later`: what is evaluated after it, before it is written (a
 *  run-time index is read before them if they may write). */
function lvalue(L: Lowerer, e: ts.Expression, later: readonly ts.Node[] = []): LValue {
  e = skipParens(e);
  if (ts.isIdentifier(e)) {
    const b = bindingOf(L, e);
    if (b?.kind === "reg" || b?.kind === "maybe") return { kind: "var", binding: b, node: e };
    if (b?.kind === "mem" || b?.kind === "global") return writable(L, lowerExpr(L, e), e);
    return L.ctx.fail("notAssignable", e, b?.kind === "const" ? `The constant '${e.text}'` : `'${e.text}'`);
  }
  if (ts.isElementAccessExpression(e)) {
    const array = lowerExpr(L, e.expression);
    const raw = beforeLater(L, scalar(L, lowerExpr(L, e.argumentExpression)), later);
    const index = array.kind === "mem" && array.type.kind === "array" ? indexValue(L, raw, array.type.length, e) : raw;
    if (index.kind !== "const" && array.kind === "mem" && array.type.kind === "array") {
      if (array.readOnly) L.ctx.fail("readOnlySetting", e, e.getText(L.ctx.sf));
      const element = dynamicElement(L, array, index, e);
      if (isScalarElement(element)) return { kind: "element", element, node: e };
      return { kind: "mem", mem: aggregateElement(L, element), node: e };
    }
  }
  return writable(L, lowerExpr(L, e), e);
}

/** Memory that assignment may write: not the probed program's, not a setting's. */
function writable(L: Lowerer, v: Value, e: ts.Expression): LValue {
  if (v.kind === "mem" && v.readOnly) return L.ctx.fail("readOnlySetting", e, e.getText(L.ctx.sf));
  if (v.kind === "mem") return { kind: "mem", mem: v, node: e };
  return L.ctx.fail("notAssignable", e, v.kind === "probed" ? "The probed program's memory (it is read-only)" : "This expression");
}

/** Reads, changes and writes back an element at a run-time index, inside one bounds
 *  check: `next` gets the old value, gives the new. */
function updateElement(L: Lowerer, d: DynamicElement, next: (old: Value) => Value): Value {
  const { mem, outOfRange } = openElement(L, d);
  storeValue(L, mem, next(scalar(L, mem)));
  closeGuard(L, outOfRange);
  return { kind: "void" };
}

/** `target op= right`: the target is read before the right side is evaluated. */
export function compoundAssign(L: Lowerer, left: ts.Expression, op: string, right: ts.Expression, node: ts.Node): Value {
  const lv = lvalue(L, left, [right]);
  if (lv.kind !== "element") {
    const old = beforeLater(L, readLvalue(L, lv), [right]);
    return writeLvalue(L, lv, arith(L, op, old, lowerExpr(L, right), node));
  }
  if (mayWrite(L, right)) {
    // The right side may write the element: read it first (0 out of range), write after.
    const old = readDynamicElement(L, lv.element);
    storeElement(L, lv.element, fixed(L, arith(L, op, old, lowerExpr(L, right), node), right));
    return { kind: "void" };
  }
  // Evaluated before the bounds check, so it is computed on both of its paths; the
  // element is read and written inside it.
  const rhs = fixed(L, lowerExpr(L, right), right);
  return updateElement(L, lv.element, (old) => arith(L, op, old, rhs, node));
}

/** Writes an element at a run-time index, if it is in range. */
function storeElement(L: Lowerer, d: DynamicElement, v: Value): void {
  const { mem, outOfRange } = openElement(L, d);
  storeValue(L, mem, v);
  closeGuard(L, outOfRange);
}

/** `left op= operand` for an operand already lowered (a loop's sum, sum-loops.ts): it
 *  writes nothing, so the order of reading the target does not matter. */
export function compoundAssignValue(L: Lowerer, left: ts.Expression, op: string, operand: Value, node: ts.Node): Value {
  const lv = lvalue(L, left);
  if (lv.kind !== "element") return writeLvalue(L, lv, arith(L, op, readLvalue(L, lv), operand, node));
  const rhs = fixed(L, operand, node);
  return updateElement(L, lv.element, (old) => arith(L, op, old, rhs, node));
}

/** A value in a register (or a constant), so it stays valid across branches. */
function fixed(L: Lowerer, v: Value, node: ts.Node): Value {
  const s = scalar(L, v);
  return s.kind === "int" || s.kind === "ptr" || s.kind === "const" ? s : L.ctx.fail("notAssignable", node, "This value to an array element");
}

function readLvalue(L: Lowerer, lv: LValue): Value {
  if (lv.kind === "element") throw new Error("internal: readLvalue of a guarded element");
  if (lv.kind === "mem") return scalar(L, lv.mem);
  const b = lv.binding;
  if (b.kind === "maybe") return L.ctx.fail("unsupportedSyntax", lv.node, "Arithmetic on a map value that may be undefined");
  return b.type.kind === "ptr" ? { kind: "ptr", type: b.type, reg: b.reg } : { kind: "int", type: b.type, reg: b.reg };
}

function writeLvalue(L: Lowerer, lv: LValue, v: Value): Value {
  if (lv.kind === "element") throw new Error("internal: writeLvalue of a guarded element");
  if (lv.kind === "mem") {
    if (lv.mem.type.kind !== "int" && lv.mem.type.kind !== "ptr") L.ctx.fail("notAssignable", lv.node, "A struct field of this kind, with this operator");
    storeValue(L, lv.mem, v);
    // The expression's value is what the field now holds, as for a variable.
    if (lv.mem.bitfield && lv.mem.type.kind === "int") return narrowBitfieldValue(L, v, lv.mem.type, lv.mem.bitfield.width);
    return lv.mem.type.kind === "int" ? narrow(L, v, lv.mem.type) : scalar(L, v);
  }
  const b = lv.binding;
  if (b.kind === "maybe") {
    if (v.kind !== "maybe") L.ctx.fail("notAssignable", lv.node, "A map value variable (only another get() result)");
    L.b.emit({ op: "mov", dst: b.reg, src: v.reg });
    return v;
  }
  const n = b.type.kind === "int" ? narrow(L, v, b.type) : scalar(L, v);
  if (n.kind === "const") L.b.emit({ op: "const", dst: b.reg, value: BigInt.asIntN(64, n.value) });
  else if (n.kind === "int" || n.kind === "ptr") { if (n.reg !== b.reg) L.b.emit({ op: "mov", dst: b.reg, src: n.reg }); }
  else L.ctx.fail("notAssignable", lv.node, "This value to a scalar variable");
  return b.type.kind === "ptr" ? { kind: "ptr", type: b.type, reg: b.reg } : { kind: "int", type: b.type, reg: b.reg };
}

/** A value as a bitfield of `width` bits of type t holds it. */
function narrowBitfieldValue(L: Lowerer, v: Value, t: IntType, width: number): Value {
  const s = scalar(L, v);
  if (s.kind === "const") return constVal(truncateToBitfield(s.value, t, width), t);
  return { kind: "int", type: t, reg: narrowToBitfield(L.b, toReg(L, s), t, width) };
}

export function assign(L: Lowerer, left: ts.Expression, right: ts.Expression): Value {
  const lv = lvalue(L, left, [right]);
  if (lv.kind === "element") {
    const v = fixed(L, lowerExpr(L, right, lv.element.elem), right);
    storeElement(L, lv.element, v);
    return v;
  }
  if (lv.kind === "mem" && lv.mem.type.kind !== "int" && lv.mem.type.kind !== "ptr") {
    if (!isLiteral(right) || !readsMemory(L, right)) storeInto(L, lv.mem, right);
    else {
      // TypeScript builds a literal before it assigns it; built in place, it would read
      // what it has already overwritten (`s = { a: s.b, b: s.a }`).
      const built = newLocal(L, lv.mem.type, "literal");
      storeInto(L, built, right);
      copyMem(L, lv.mem, built, sizeOf(lv.mem.type));
    }
    return { kind: "void" };
  }
  const expected = lv.kind === "mem" ? lv.mem.type : lv.binding.type;
  return writeLvalue(L, lv, lowerExpr(L, right, expected));
}

/** An object or array literal (or one with `as T`). */
function isLiteral(e: ts.Expression): boolean {
  e = skipParens(e);
  if (ts.isAsExpression(e)) e = skipParens(e.expression);
  return ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e);
}

/** Whether evaluating `e` may read BPF memory: a field, an element, a variable in
 *  memory (a struct, a global, a map value), or a call. */
function readsMemory(L: Lowerer, e: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isCallExpression(e)) return true;
  if (ts.isIdentifier(e)) {
    const b = bindingOf(L, e);
    return b?.kind === "mem" || b?.kind === "global" || b?.kind === "maybe";
  }
  return ts.forEachChild(e, (c) => readsMemory(L, c) || undefined) ?? false;
}

export function lowerIncDec(L: Lowerer, target: ts.Expression, alu: "add" | "sub", postfix: boolean): Value {
  const lv = lvalue(L, target);
  if (lv.kind === "element") return updateElement(L, lv.element, (old) => arith(L, alu === "add" ? "+" : "-", old, constVal(1n), target));
  const old = readLvalue(L, lv);
  let before: Value = old;
  if (postfix && old.kind === "int") {
    // The variable's register changes below: keep the old value apart.
    const r = L.b.newReg();
    L.b.emit({ op: "mov", dst: r, src: old.reg });
    before = { kind: "int", type: old.type, reg: r };
  }
  const updated = writeLvalue(L, lv, arith(L, alu === "add" ? "+" : "-", old, constVal(1n), target));
  return postfix ? before : updated;
}

/** atomicAdd(target, delta): lock xadd on an integer of 4 or 8 bytes in BPF memory (a map
 *  value's field, a global, an array element at any index; a local works too but gains
 *  nothing). An element at a run-time index out of range is left alone. */
export function lowerAtomicAdd(L: Lowerer, call: ts.CallExpression): Value {
  if (call.arguments.length !== 2) return L.ctx.fail("badCall", call, "atomicAdd(target, delta) takes the integer to add to and the amount.");
  const [target, deltaExpr] = call.arguments;
  const lv = lvalue(L, target!);
  const t = lv.kind === "mem" && !lv.mem.bitfield ? lv.mem.type : lv.kind === "element" ? lv.element.elem : undefined;
  if (t?.kind !== "int" || (t.size !== 4 && t.size !== 8)) {
    return L.ctx.fail("badCall", target!, "atomicAdd() adds to a 4- or 8-byte integer in BPF memory: a field of a map value, a global or an array element (not a variable, a bitfield or a narrower field).");
  }
  // Evaluated before an element's bounds check, so it is computed on both of its paths.
  const delta = toReg(L, narrow(L, lowerExpr(L, deltaExpr!, t), t));
  if (lv.kind === "mem") {
    addAtomically(L, lv.mem, t.size, delta);
  } else if (lv.kind === "element") {
    const { mem, outOfRange } = openElement(L, lv.element);
    addAtomically(L, mem, t.size, delta);
    closeGuard(L, outOfRange);
  }
  return { kind: "void" };
}

/** lock xadd of `delta` to the integer at `mem`. */
function addAtomically(L: Lowerer, mem: Extract<Value, { kind: "mem" }>, size: 4 | 8, delta: VReg): void {
  let base: VReg;
  if ("reg" in mem.base) base = mem.base.reg;
  else {
    base = L.b.newReg();
    L.b.emit({ op: "addr", dst: base, slot: mem.base.slot, off: 0 });
  }
  L.b.emit({ op: "atomic_add", base: { reg: base }, off: mem.off, size, src: delta });
}
