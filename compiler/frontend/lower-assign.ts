// Assignment: plain, compound and ++/--, to scalar variables, map-value variables and
// fields in BPF memory; each stored value narrowed to its destination's type.
// In: the target and value expressions. Out: IR moves and stores; the assigned value.

import ts from "typescript";
import { arith } from "./lower-arith.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import { storeInto, storeValue } from "./lower-store.js";
import { skipParens } from "./module.js";
import { constVal, narrow, scalar, type Binding, type Lowerer, type Value } from "./values.js";

type LValue = { kind: "var"; binding: Extract<Binding, { kind: "reg" | "maybe" }>; node: ts.Node } | { kind: "mem"; mem: Extract<Value, { kind: "mem" }>; node: ts.Node };

export function lvalue(L: Lowerer, e: ts.Expression): LValue {
  e = skipParens(e);
  if (ts.isIdentifier(e)) {
    const b = bindingOf(L, e);
    if (b?.kind === "reg" || b?.kind === "maybe") return { kind: "var", binding: b, node: e };
    if (b?.kind === "mem") return { kind: "mem", mem: { kind: "mem", type: b.type, base: b.base, off: b.off }, node: e };
    return L.ctx.fail("notAssignable", e, b?.kind === "const" ? `The constant '${e.text}'` : `'${e.text}'`);
  }
  const v = lowerExpr(L, e);
  if (v.kind === "mem") return { kind: "mem", mem: v, node: e };
  return L.ctx.fail("notAssignable", e, v.kind === "probed" ? "The probed program's memory (it is read-only)" : "This expression");
}

export function readLvalue(L: Lowerer, lv: LValue): Value {
  if (lv.kind === "mem") return scalar(L, lv.mem);
  const b = lv.binding;
  if (b.kind === "maybe") return L.ctx.fail("unsupportedSyntax", lv.node, "Arithmetic on a map value that may be undefined");
  return b.type.kind === "ptr" ? { kind: "ptr", type: b.type, reg: b.reg } : { kind: "int", type: b.type, reg: b.reg };
}

export function writeLvalue(L: Lowerer, lv: LValue, v: Value): Value {
  if (lv.kind === "mem") {
    if (lv.mem.type.kind !== "int" && lv.mem.type.kind !== "ptr") L.ctx.fail("notAssignable", lv.node, "A struct field of this kind, with this operator");
    storeValue(L, lv.mem, v);
    // The expression's value is what the field now holds, as for a variable.
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

export function assign(L: Lowerer, left: ts.Expression, right: ts.Expression): Value {
  const lv = lvalue(L, left);
  if (lv.kind === "mem" && lv.mem.type.kind !== "int" && lv.mem.type.kind !== "ptr") {
    storeInto(L, lv.mem, right);
    return { kind: "void" };
  }
  const expected = lv.kind === "mem" ? lv.mem.type : lv.binding.type;
  return writeLvalue(L, lv, lowerExpr(L, right, expected));
}

export function lowerIncDec(L: Lowerer, target: ts.Expression, alu: "add" | "sub", postfix: boolean): Value {
  const lv = lvalue(L, target);
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
