// Chars<N> as strings: compared with a string literal (`name === "bash"`: the literal's
// bytes and its NUL, unless it fills the buffer), tested for a prefix
// (`startsWith(name, "ba")`), one byte compared with a one-character literal
// (`name[0] === "/"`), and filled from a literal (zero-padded). Comparisons load the
// buffer a word at a time (8, 4, 2, 1 bytes) against immediates, as clang does for a
// memcmp with a constant; probed memory (`task.comm`) is first copied with one probe read.
// In: the operands of a comparison, or a Chars destination and a literal. Out: branches to
// the comparison's blocks, or stores; undefined when the operands are not a string case.

import ts from "typescript";
import type { Block } from "../ir/ir.js";
import { U8, type ArrayType, type CType } from "../types/ctype.js";
import { compare } from "./lower-cond.js";
import { lowerExpr } from "./lower-expr.js";
import { copyFromProbed } from "./lower-store.js";
import { skipParens, stringValue } from "./module.js";
import { constVal, newLocal, type Lowerer, type Value } from "./values.js";

type Mem = Extract<Value, { kind: "mem" }>;

/** The Chars<N> a string helper call fills when compared (comm() fills 16 bytes). */
const COMPARED_CHARS: ArrayType = { kind: "array", elem: U8, length: 16, isString: true };

/** The text of a string-literal operand, if it is one. */
export function literalText(L: Lowerer, e: ts.Expression): string | undefined {
  return stringValue(L.ctx, L.mod, skipParens(e));
}

/** A one-character literal as its byte, for comparing with one byte of a Chars. */
export function charConstant(L: Lowerer, e: ts.Expression): Value | undefined {
  const text = literalText(L, e);
  const bytes = text === undefined ? undefined : new TextEncoder().encode(text);
  return bytes?.length === 1 ? constVal(BigInt(bytes[0]!), U8) : undefined;
}

/** A comparison of `other` with a string literal: a Chars compared as a string, one byte
 *  (an element of a Chars) with a one-character literal. Branches to t when it holds;
 *  false (nothing emitted) when neither operand is a string literal. */
export function lowerLiteralCompare(L: Lowerer, op: ts.SyntaxKind, left: ts.Expression, right: ts.Expression, t: Block, f: Block): boolean {
  const onRight = literalText(L, right) !== undefined;
  const lit = onRight ? literalText(L, right) : literalText(L, left);
  if (lit === undefined) return false;
  const otherNode = onRight ? left : right;
  const other = lowerExpr(L, otherNode, COMPARED_CHARS);
  const chars = charsOf(L, other);
  if (!chars) {
    const c = charConstant(L, onRight ? right : left);
    if (!c) return L.ctx.fail("unsupportedSyntax", otherNode, "Comparing a string literal with anything but a Chars<N> (or one character with one byte of it)");
    const cmp = compare(L, op, onRight ? other : c, onRight ? c : other, otherNode);
    if (typeof cmp === "boolean") L.b.jump(cmp ? t : f);
    else L.b.terminate({ op: "br", cmp: cmp.cmp, a: cmp.a, b: cmp.b, then: L.b.ref(t), else: L.b.ref(f) });
    return true;
  }
  const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
  if (!equal && op !== ts.SyntaxKind.ExclamationEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsToken) {
    return L.ctx.fail("unsupportedSyntax", otherNode, "Ordering strings (compare them with === or !==, or test a prefix with startsWith)");
  }
  const bytes = new TextEncoder().encode(lit);
  const n = chars.type.length;
  // A literal longer than the buffer never equals it; a shorter one ends at its NUL.
  if (bytes.length > n) {
    L.b.jump(equal ? f : t);
    return true;
  }
  const want = bytes.length < n ? [...bytes, 0] : [...bytes];
  compareBytes(L, chars, Uint8Array.from(want), equal ? t : f, equal ? f : t);
  return true;
}

/** startsWith(chars, "prefix"). */
export function lowerStartsWith(L: Lowerer, call: ts.CallExpression, t: Block, f: Block): void {
  const [s, p] = call.arguments;
  const prefix = p && literalText(L, p);
  if (!s || prefix === undefined || call.arguments.length !== 2) return L.ctx.fail("badCall", call, "startsWith(chars, prefix) takes a Chars and a string literal or constant.");
  const chars = charsOperand(L, s);
  const bytes = new TextEncoder().encode(prefix);
  if (bytes.length > chars.type.length) return L.b.jump(f);
  compareBytes(L, chars, bytes, t, f);
}

/** A Chars operand in BPF memory: a local, a map value's or a global's field; probed
 *  memory copied to the stack; comm()/readStr() filled into a temporary. */
function charsOperand(L: Lowerer, e: ts.Expression): Mem & { type: ArrayType } {
  return charsOf(L, lowerExpr(L, e, COMPARED_CHARS)) ?? L.ctx.fail("badCall", e, "startsWith() tests a Chars<N>.");
}

function charsOf(L: Lowerer, v: Value): (Mem & { type: ArrayType }) | undefined {
  const isChars = (t: CType): t is ArrayType => t.kind === "array" && !!t.isString;
  if (v.kind === "mem" && isChars(v.type)) return v as Mem & { type: ArrayType };
  if (v.kind !== "probed" || !isChars(v.type)) return undefined;
  const copy = newLocal(L, v.type, "string");
  copyFromProbed(L, copy, v);
  return copy as Mem & { type: ArrayType };
}

/** Branches to t when the bytes at the start of `m` are `want`, else to f. */
function compareBytes(L: Lowerer, m: Mem, want: Uint8Array, t: Block, f: Block): void {
  let i = 0;
  while (i < want.length) {
    let size: 1 | 2 | 4 | 8 = 8;
    while (size > 1 && (i + size > want.length || (m.off + i) % size !== 0)) size = (size / 2) as 1 | 2 | 4;
    let value = 0n;
    for (let k = size - 1; k >= 0; k--) value = (value << 8n) | BigInt(want[i + k]!);
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: m.base, off: m.off + i, size });
    const next = L.b.newBlock();
    L.b.terminate({ op: "br", cmp: "eq", a: r, b: { imm: BigInt.asIntN(64, value) }, then: L.b.ref(next), else: L.b.ref(f) });
    L.b.setBlock(next);
    i += size;
  }
  L.b.jump(t);
}

/** A Chars destination filled from a literal: its bytes, then zeros. */
export function literalImage(L: Lowerer, t: ArrayType, e: ts.Expression): Uint8Array | undefined {
  const text = t.isString ? literalText(L, e) : undefined;
  if (text === undefined) return undefined;
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > t.length) L.ctx.fail("unsupportedSyntax", e, `A string of ${bytes.length} bytes in a Chars<${t.length}>`);
  const image = new Uint8Array(t.length);
  image.set(bytes);
  return image;
}
