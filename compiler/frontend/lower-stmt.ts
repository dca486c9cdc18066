// Lowers statements of the subset: declarations, assignments (as expressions), if/else,
// switch (lower-switch.ts), bounded for/while/do loops (a loop that only adds up a
// polynomial of its counter as its sum, sum-loops.ts), break/continue, return, blocks.
// In: a statement node. Out: IR blocks and instructions through the builder.

import ts from "typescript";
import { I64, U64, sizeOf, type CType, type IntType } from "../types/ctype.js";
import type { VReg } from "../ir/ir.js";
import { lowerCond } from "./lower-cond.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import { copyMem, storeInto } from "./lower-store.js";
import { checkLoopBound } from "./loops.js";
import { lowerSwitch } from "./lower-switch.js";
import { lowerSumLoop } from "./sum-loops.js";
import { integerLiteral, runtimeConstant, skipParens } from "./module.js";
import { intTypeOf, literalType, narrow, newLocal, scalar, toReg, truncate, type Binding, type LoopRegion, type Lowerer, type Value } from "./values.js";

const K = ts.SyntaxKind;

export function lowerStmt(L: Lowerer, s: ts.Statement): void {
  L.b.loc = L.ctx.pos(s);
  if (ts.isBlock(s)) {
    for (const st of s.statements) lowerStmt(L, st);
    return;
  }
  if (ts.isVariableStatement(s)) return lowerDeclarations(L, s.declarationList);
  if (ts.isExpressionStatement(s)) {
    lowerExpr(L, s.expression);
    return;
  }
  if (ts.isIfStatement(s)) return lowerIf(L, s);
  if (ts.isReturnStatement(s)) return lowerReturn(L, s);
  if (ts.isForStatement(s) || ts.isWhileStatement(s) || ts.isDoStatement(s)) return lowerLoop(L, s);
  if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
    if (s.label) L.ctx.fail("unsupportedSyntax", s, "A labelled break or continue");
    // break leaves the innermost loop or switch; continue the innermost loop.
    const target = ts.isBreakStatement(s) ? L.loops[L.loops.length - 1]?.brk : [...L.loops].reverse().find((l) => l.cont)?.cont;
    if (!target) L.ctx.fail("badBreak", s, ts.isBreakStatement(s) ? "break" : "continue", ts.isBreakStatement(s) ? " or a switch" : "");
    L.b.jump(target);
    return;
  }
  if (ts.isSwitchStatement(s)) return lowerSwitch(L, s);
  if (ts.isEmptyStatement(s)) return;
  if (ts.isFunctionDeclaration(s)) L.ctx.fail("unsupportedSyntax", s, "A nested function (declare helper functions at the top level)");
  if (ts.isThrowStatement(s) || ts.isTryStatement(s)) L.ctx.fail("unsupportedSyntax", s, "Exceptions (throw/try)");
  if (ts.isForInStatement(s) || ts.isForOfStatement(s)) L.ctx.fail("unsupportedSyntax", s, `'${ts.isForInStatement(s) ? "for...in" : "for...of"}' (use a counted for loop)`);
  if (ts.isClassDeclaration(s)) L.ctx.fail("unsupportedSyntax", s, "A class");
  L.ctx.fail("unsupportedSyntax", s, `This statement (${K[s.kind]})`);
}

function lowerDeclarations(L: Lowerer, list: ts.VariableDeclarationList): void {
  const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
  if (!isConst && !(list.flags & ts.NodeFlags.Let)) L.ctx.fail("unsupportedSyntax", list, "'var' (use const or let)");
  for (const d of list.declarations) {
    L.b.loc = L.ctx.pos(d);
    if (!ts.isIdentifier(d.name)) L.ctx.fail("unsupportedSyntax", d.name, "Destructuring");
    const sym = L.ctx.symbolOf(d.name)!;
    const declared = d.type ? L.types.resolve(d.type) : undefined;
    L.env.set(sym, declare(L, d, declared, isConst));
  }
}

/** The binding a declaration creates: a register for scalars, stack memory for structs. */
function declare(L: Lowerer, d: ts.VariableDeclaration, declared: CType | undefined, isConst: boolean): Binding {
  const init = d.initializer;
  if (declared && declared.kind !== "int" && declared.kind !== "ptr") {
    const m = newLocal(L, declared, (d.name as ts.Identifier).text);
    if (init) storeInto(L, m, init);
    else storeInto(L, m, declared.kind === "array" ? ts.factory.createArrayLiteralExpression([]) : ts.factory.createObjectLiteralExpression([]));
    return { kind: "mem", type: declared, base: m.base, off: 0 };
  }
  if (!init) {
    if (!declared) L.ctx.fail("badParamType", d, (d.name as ts.Identifier).text);
    const reg = L.b.newReg();
    L.b.emit({ op: "const", dst: reg, value: 0n });
    return { kind: "reg", reg, type: declared as Extract<CType, { kind: "int" | "ptr" }> };
  }
  const v = lowerExpr(L, init, declared);
  if (v.kind === "maybe") return { kind: "maybe", reg: copyIfMutable(L, v.reg, isConst), type: v.type, map: v.map };
  if (v.kind === "mem" && v.type.kind !== "int" && v.type.kind !== "ptr") {
    // A struct: the declaration names the memory the initializer produced (a literal,
    // comm(), a checked map value, which stays a reference into the map) or a copy of
    // another local: locals are values, as assignment (`b = a`, a copy) treats them.
    // (`{...} as S` is a literal too: a cast makes a struct of nothing else.)
    const e = skipParens(init);
    const fresh = ts.isObjectLiteralExpression(e) || ts.isCallExpression(e) || ts.isAsExpression(e);
    if (fresh || !("slot" in v.base)) return { kind: "mem", type: v.type, base: v.base, off: v.off };
    const copy = newLocal(L, v.type, (d.name as ts.Identifier).text);
    copyMem(L, copy, v, sizeOf(v.type));
    return { kind: "mem", type: v.type, base: copy.base, off: 0 };
  }
  if (v.kind === "probed") L.ctx.fail("unsupportedSyntax", init, "Holding a struct of the probed memory in a variable (read its fields instead)");
  if (v.kind === "void") L.ctx.fail("unsupportedSyntax", init, "Using the result of a call that returns nothing");
  const s = scalar(L, v) as Extract<Value, { kind: "int" | "const" | "ptr" }>;
  if (isConst && s.kind === "const" && declared?.kind !== "ptr") {
    const t = declared?.kind === "int" ? declared : s.type;
    return { kind: "const", value: t ? truncate(s.value, t) : s.value, type: t };
  }
  if (s.kind === "ptr" || declared?.kind === "ptr") {
    const reg = L.b.newReg();
    L.b.emit({ op: "mov", dst: reg, src: toReg(L, s) });
    return { kind: "reg", reg, type: s.kind === "ptr" ? s.type : (declared as Extract<CType, { kind: "ptr" }>) };
  }
  const type = declared?.kind === "int" ? declared : intTypeOf(s);
  const n = narrow(L, s, type);
  const reg = L.b.newReg();
  if (n.kind === "const") L.b.emit({ op: "const", dst: reg, value: BigInt.asIntN(64, n.value) });
  else L.b.emit({ op: "mov", dst: reg, src: toReg(L, n) });
  return { kind: "reg", reg, type };
}

function copyIfMutable(L: Lowerer, reg: number, isConst: boolean): number {
  if (isConst) return reg;
  const r = L.b.newReg();
  L.b.emit({ op: "mov", dst: r, src: reg });
  return r;
}

function lowerIf(L: Lowerer, s: ts.IfStatement): void {
  const then = L.b.newBlock(), join = L.b.newBlock();
  const els = s.elseStatement ? L.b.newBlock() : join;
  lowerCond(L, s.expression, then, els);
  L.b.setBlock(then);
  lowerStmt(L, s.thenStatement);
  L.b.jump(join);
  if (s.elseStatement) {
    L.b.setBlock(els);
    lowerStmt(L, s.elseStatement);
    L.b.jump(join);
  }
  L.b.setBlock(join);
}

function lowerReturn(L: Lowerer, s: ts.ReturnStatement): void {
  const frame = L.inline[L.inline.length - 1];
  if (frame) {
    if (s.expression) {
      if (!frame.type) L.ctx.fail("unsupportedSyntax", s, "Returning a value from a function declared to return nothing");
      const v = narrow(L, lowerExpr(L, s.expression, frame.type), frame.type!);
      if (v.kind === "const") L.b.emit({ op: "const", dst: frame.result, value: BigInt.asIntN(64, v.value) });
      else L.b.emit({ op: "mov", dst: frame.result, src: toReg(L, v) });
    }
    L.b.jump(frame.exit);
    return;
  }
  if (!s.expression) {
    L.b.terminate({ op: "ret", value: { imm: 0n } });
    return;
  }
  if (L.fn.kind === "subprogram") {
    const ret = L.fn.ret ?? L.ctx.fail("unsupportedSyntax", s, "Returning a value from a function declared to return nothing");
    const v = narrow(L, lowerExpr(L, s.expression, ret), ret);
    L.b.terminate({ op: "ret", value: v.kind === "const" ? { imm: BigInt.asIntN(64, v.value) } : toReg(L, v) });
    return;
  }
  const v = scalar(L, lowerExpr(L, s.expression));
  if (v.kind === "const") L.b.terminate({ op: "ret", value: { imm: BigInt.asIntN(64, v.value) } });
  else if (v.kind === "int") L.b.terminate({ op: "ret", value: v.reg });
  else L.ctx.fail("unsupportedSyntax", s.expression, "Returning anything but an integer from a program");
}

function lowerLoop(L: Lowerer, s: ts.ForStatement | ts.WhileStatement | ts.DoStatement): void {
  const bound = checkLoopBound(L.ctx, L.mod, s, (sym) => precedingInitial(L, s, sym), (sym) => counterType(L, sym));
  if (ts.isForStatement(s) && lowerSumLoop(L, s, bound)) return;
  const { trips, counter } = bound;
  const carried = carriedVariables(L);
  if (ts.isForStatement(s) && s.initializer) {
    if (ts.isVariableDeclarationList(s.initializer)) lowerDeclarations(L, s.initializer);
    else lowerExpr(L, s.initializer);
  }
  const head = L.b.newBlock(), body = L.b.newBlock(), next = L.b.newBlock(), exit = L.b.newBlock();
  if (ts.isDoStatement(s)) L.b.jump(body);
  else L.b.jump(head);
  L.b.setBlock(head);
  const condition = ts.isForStatement(s) ? s.condition : s.expression;
  if (condition) lowerCond(L, condition, body, exit);
  else L.b.jump(body);
  L.b.setBlock(body);
  L.loops.push({ brk: exit, cont: next });
  lowerStmt(L, s.statement);
  L.loops.pop();
  L.b.jump(next);
  L.b.setBlock(next);
  if (ts.isForStatement(s) && s.incrementor) lowerExpr(L, s.incrementor);
  L.b.jump(head);
  L.b.setBlock(exit);
  const c = L.env.get(counter);
  L.loopRegions.push({ head, exit, latch: next, trips, counter: c?.kind === "reg" ? c.reg : undefined, carried, node: s });
}

/** The variables bound so far that hold integers: in registers, or in stack slots (an
 *  integer, or a struct or an array of them). */
function carriedVariables(L: Lowerer): LoopRegion["carried"] {
  const regs: VReg[] = [], memory: LoopRegion["carried"]["memory"] = [];
  const scalars = (t: CType): boolean => t.kind === "int" || (t.kind === "array" && scalars(t.elem)) || (t.kind === "struct" && t.fields.every((f) => scalars(f.type)));
  for (const v of L.env.values()) {
    if (v.kind === "reg" && v.type.kind === "int") regs.push(v.reg);
    else if (v.kind === "mem" && "slot" in v.base && scalars(v.type)) memory.push({ slot: v.base.slot, off: v.off, size: sizeOf(v.type) });
  }
  return { regs, memory };
}

/** For a while loop: the counter's constant initializer, if it is declared just before. */
function precedingInitial(L: Lowerer, loop: ts.Statement, sym: ts.Symbol): bigint | undefined {
  const parent = loop.parent;
  if (!ts.isBlock(parent) && !ts.isSourceFile(parent)) return undefined;
  const stmts = parent.statements;
  for (let i = stmts.indexOf(loop) - 1; i >= 0; i--) {
    const st = stmts[i];
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && L.ctx.symbolOf(d.name) === sym) return d.initializer ? runtimeConstant(L.ctx, L.mod, skipParens(d.initializer)) : 0n;
      }
    }
    if (mentions(L, st, sym)) return undefined;
  }
  return undefined;
}

/** The type a loop counter's declaration gives it (as declare() does): its annotation,
 *  or the type of its initializer (an untyped constant is an i64, a literal or constant
 *  of 2^63 or more a u64). */
function counterType(L: Lowerer, sym: ts.Symbol): IntType {
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d)) return I64;
  if (d.type) {
    const t = L.types.resolve(d.type);
    return t.kind === "int" ? t : U64;
  }
  const init = d.initializer && skipParens(d.initializer);
  const literal = init && integerLiteral(L.ctx, init);
  if (literal !== undefined) return literalType(literal) ?? I64;
  if (init && ts.isIdentifier(init)) {
    const b = bindingOf(L, init);
    if (b?.kind === "const" && b.type) return b.type;
    if (b?.kind === "reg" && b.type.kind === "int") return b.type;
  }
  return I64;
}

function mentions(L: Lowerer, n: ts.Node, sym: ts.Symbol): boolean {
  if (ts.isIdentifier(n) && L.ctx.symbolOf(n) === sym) return true;
  return ts.forEachChild(n, (c) => mentions(L, c, sym)) ?? false;
}

