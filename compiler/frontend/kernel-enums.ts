// Kernel enums in a probe file: an enum declared with a `@kernel` tag, as `bpftsc types`
// writes it (`/** @kernel */ declare enum cgroup_subsys_id { ... }`, imported or in the
// probe file), names the kernel's enum of its tag; `E.NAME` names one of its enumerators.
// In: an expression or a declaration. Out: which kernel enumerator it names, with the
// enum as the object describes it (kernel.ts enumType) and the value on this kernel
// (what a plain `E.NAME` is: a compile-time constant, as in C with vmlinux.h); a
// diagnostic for an enum that is not a kernel enum.

import ts from "typescript";
import type { EnumType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";
import { parseIntegerLiteral, skipParens } from "./module.js";
import { kernelTag } from "./types.js";

export interface KernelEnumerator {
  root: EnumType;
  /** The enumerator's name as declared (a flavour keeps its `___` suffix). */
  name: string;
  /** Its value on the compiling kernel, or the declared one where that kernel lacks it. */
  value: bigint;
}

/** The kernel enum a TypeScript enum declaration names (its @kernel tag), or undefined. */
export function kernelEnumName(decl: ts.Declaration): string | undefined {
  return ts.isEnumDeclaration(decl) ? kernelTag(decl) : undefined;
}

/** The kernel enumerator `e` names (`E.NAME`); undefined when `e` names no enum member; a
 *  diagnostic when the enum is not a kernel enum or the enumerator has no value. */
export function kernelEnumerator(ctx: FrontendContext, e: ts.Expression): KernelEnumerator | undefined {
  e = skipParens(e);
  if (!ts.isPropertyAccessExpression(e)) return undefined;
  const member = ctx.symbolOf(e.name)?.valueDeclaration;
  if (!member || !ts.isEnumMember(member)) return undefined;
  const decl = member.parent;
  const root = kernelEnumType(ctx, decl, e.expression);
  const name = memberName(member);
  const found = root.values.find((v) => v.name === name) ?? ctx.fail("enumeratorValue", e.name, `${decl.name.text}.${name}`, root.name, name);
  return { root, name, value: found.value };
}

/** The kernel enum a declaration names, as the object describes it; a diagnostic at
 *  `node` when the declaration is not a kernel enum's. */
export function kernelEnumType(ctx: FrontendContext, decl: ts.EnumDeclaration, node: ts.Node): EnumType {
  const tag = kernelEnumName(decl) ?? ctx.fail("notKernelEnum", node, decl.name.text);
  return ctx.kernel.enumType(tag, new Map(decl.members.map((m) => [memberName(m), declaredValue(ctx, m)])), node);
}

function memberName(m: ts.EnumMember): string {
  return ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) ? m.name.text : m.name.getText();
}

/** A member's declared value, exactly for an integer literal (TypeScript's number rounds
 *  past 2^53), else TypeScript's constant value. */
function declaredValue(ctx: FrontendContext, m: ts.EnumMember): bigint | undefined {
  const init = m.initializer && skipParens(m.initializer);
  const negated = init && ts.isPrefixUnaryExpression(init) && init.operator === ts.SyntaxKind.MinusToken;
  const literal = negated ? (init as ts.PrefixUnaryExpression).operand : init;
  if (literal && ts.isNumericLiteral(literal)) {
    const v = parseIntegerLiteral(literal.getText());
    if (v !== undefined) return negated ? -v : v;
  }
  const c = ctx.checker.getConstantValue(m);
  return typeof c === "number" && Number.isSafeInteger(c) ? BigInt(c) : undefined;
}
