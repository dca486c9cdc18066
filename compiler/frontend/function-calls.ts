// Calls of the probe file's own functions: inlined at the call (the body lowered in the
// caller, parameters bound to the evaluated arguments), or a BPF-to-BPF call of the
// function's subprogram (arguments in R1..R5: integers narrowed to their parameter's
// type, Ptrs, structs by reference).
// In: a call expression and the callee's FunctionInfo. Out: the call's Value (an integer
// result, or void), IR emitted on the way.

import ts from "typescript";
import { typeToString, type CType, type IntType } from "../types/ctype.js";
import type { FunctionInfo } from "./functions.js";
import { beforeLater } from "./eval-order.js";
import { lowerExpr } from "./lower-expr.js";
import { lowerStmt } from "./lower-stmt.js";
import type { TypeResolver } from "./types.js";
import type { FrontendContext } from "./context.js";
import { addressOf, narrow, scalar, toOperand, type Binding, type Lowerer, type Value } from "./values.js";

export interface Signature {
  params: { symbol: ts.Symbol; name: string; type: CType }[];
  /** Undefined: the function returns nothing. */
  ret: IntType | undefined;
}

/** The parameters' and the result's C types of one of the file's functions. */
export function signatureOf(ctx: FrontendContext, types: TypeResolver, decl: ts.FunctionDeclaration): Signature {
  const params = decl.parameters.map((p) => {
    if (!p.type || !ts.isIdentifier(p.name)) return ctx.fail("badParamType", p, p.name.getText(ctx.sf));
    return { symbol: ctx.symbolOf(p.name)!, name: p.name.text, type: types.resolve(p.type) };
  });
  if (!decl.type || decl.type.kind === ts.SyntaxKind.VoidKeyword) return { params, ret: undefined };
  const t = types.resolve(decl.type);
  if (t.kind !== "int") return ctx.fail("unsupportedType", decl.type, decl.type.getText(ctx.sf), " as a return type (functions return integers or nothing)");
  return { params, ret: t };
}

export function lowerFunctionCall(L: Lowerer, fn: FunctionInfo, call: ts.CallExpression): Value {
  const sig = signatureOf(L.ctx, L.types, fn.decl);
  if (sig.params.length !== call.arguments.length) L.ctx.fail("badCall", call, `${fn.symbol.name}() takes ${sig.params.length} arguments.`);
  return fn.subprogram ? callSubprogram(L, fn, sig, call) : inlineCall(L, fn, sig, call);
}

/** Argument `i` of a call as the parameter receives it: a scalar narrowed to its type
 *  (read before the arguments after it are evaluated), or memory (a struct, by reference). */
function argument(L: Lowerer, type: CType, call: ts.CallExpression, i: number, name: string): Value {
  const arg = call.arguments[i]!;
  const v = lowerExpr(L, arg, type);
  if (type.kind === "int" || type.kind === "ptr") {
    const n = type.kind === "int" ? narrow(L, v, type) : scalar(L, v);
    if (n.kind !== "const" && n.kind !== "int" && n.kind !== "ptr") L.ctx.fail("badCall", arg, `'${name}' takes ${type.kind === "int" ? "an integer" : "a pointer"}.`);
    return beforeLater(L, n, call.arguments.slice(i + 1));
  }
  if (v.kind !== "mem") return L.ctx.fail("badCall", arg, `'${name}' takes a ${typeToString(type)} in BPF memory (a local, a map value or a global).`);
  return v;
}

/** Inlines a call to one of the file's functions. A constant argument of a parameter the
 *  body never assigns is bound as a constant, so the body folds with it (`scale(x, 4)`
 *  multiplies by an immediate, `pick(1, a, b)` keeps one arm). A body that is one
 *  `return e;` gives e's value itself, a constant when e folds to one. */
function inlineCall(L: Lowerer, fn: FunctionInfo, sig: Signature, call: ts.CallExpression): Value {
  // Every argument is evaluated before any parameter is bound: an argument may itself
  // call this function (`f(1, f(2, 3))`), and that inner call binds the same parameters.
  const bindings = sig.params.map((p, i): [ts.Symbol, Binding] => {
    const v = argument(L, p.type, call, i, p.name);
    if (v.kind === "mem") return [p.symbol, { kind: "mem", type: p.type, base: v.base, off: v.off, readOnly: v.readOnly }];
    if (v.kind === "const" && p.type.kind === "int" && !fn.assigned.has(p.symbol)) return [p.symbol, { kind: "const", value: v.value, type: p.type }];
    const reg = L.b.newReg();
    if (v.kind === "const") L.b.emit({ op: "const", dst: reg, value: BigInt.asIntN(64, v.value) });
    else if (v.kind === "int" || v.kind === "ptr") L.b.emit({ op: "mov", dst: reg, src: v.reg });
    return [p.symbol, { kind: "reg", reg, type: p.type as Extract<CType, { kind: "int" | "ptr" }> }];
  });
  for (const [psym, binding] of bindings) L.env.set(psym, binding);
  const stmts = fn.decl.body!.statements;
  const only = stmts.length === 1 ? stmts[0] : undefined;
  if (sig.ret && only && ts.isReturnStatement(only) && only.expression) {
    L.b.loc = L.ctx.pos(only);
    return narrow(L, lowerExpr(L, only.expression, sig.ret), sig.ret);
  }
  const exit = L.b.newBlock();
  const result = L.b.newReg();
  const endsInReturn = stmts.length > 0 && ts.isReturnStatement(stmts[stmts.length - 1]);
  // A function that can fall off its end returns 0 there.
  if (sig.ret && !endsInReturn) L.b.emit({ op: "const", dst: result, value: 0n });
  L.inline.push({ exit, result, type: sig.ret });
  const savedLoops = L.loops;
  L.loops = [];
  lowerStmt(L, fn.decl.body!);
  L.loops = savedLoops;
  L.inline.pop();
  L.b.jump(exit);
  L.b.setBlock(exit);
  return sig.ret ? { kind: "int", type: sig.ret, reg: result } : { kind: "void" };
}

/** A BPF-to-BPF call of the function's subprogram (compiled for this program's memory
 *  space). Structs pass by reference: a pointer to the caller's stack or a map value. */
function callSubprogram(L: Lowerer, fn: FunctionInfo, sig: Signature, call: ts.CallExpression): Value {
  const args = sig.params.map((p, i) => {
    const v = argument(L, p.type, call, i, p.name);
    if (v.kind !== "mem") return toOperand(L, v);
    if (v.readOnly) L.ctx.fail("readOnlySetting", call.arguments[i], call.arguments[i].getText(L.ctx.sf));
    return addressOf(L, v);
  });
  const symbol = L.subprograms.request(fn, L.space);
  if (!sig.ret) {
    L.b.emit({ op: "call", fn: symbol, args });
    return { kind: "void" };
  }
  const dst = L.b.newReg();
  L.b.emit({ op: "call", dst, fn: symbol, args });
  // The callee returns its value already narrowed and extended to the result type.
  return { kind: "int", type: sig.ret, reg: dst };
}
