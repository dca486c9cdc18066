// Stores into BPF memory: scalars narrowed to the field's type (bitfields written into
// their storage unit), object literals laid out member by member and array literals
// element by element (with the bytes they leave uncovered zeroed, so the verifier never
// sees uninitialised stack passed to a helper), struct copies, and Chars<N> buffers
// filled by string helpers.
// In: a memory destination and a TypeScript expression. Out: IR stores and calls.

import ts from "typescript";
import { namedFields, sizeOf, type ArrayType, type Bitfield, type CType, type StructType } from "../types/ctype.js";
import { placeBits, storeBitfield } from "./bitfields.js";
import { isStringFill, lowerBuiltinInto } from "./builtins.js";
import { HELPER } from "../helpers.js";
import { beforeLater } from "./eval-order.js";
import { lowerExpr } from "./lower-expr.js";
import { literalImage } from "./strings.js";
import { literalFor } from "./literals.js";
import { constantValue, skipParens } from "./module.js";
import { addressOf, narrow, scalar, toOperand, type Lowerer, type Value } from "./values.js";

type Mem = Extract<Value, { kind: "mem" }>;

/** Stores `expr` into `dst`; `zeroed`: dst is all zero already (a string helper need not zero it). */
export function storeInto(L: Lowerer, dst: Mem, expr: ts.Expression, zeroed = false): void {
  expr = skipParens(expr);
  const t = dst.type;
  if (t.kind === "int" || t.kind === "ptr") {
    storeValue(L, dst, lowerExpr(L, expr, t));
    return;
  }
  const object = t.kind === "struct" ? literalFor(L.types, expr, t, ts.isObjectLiteralExpression) : undefined;
  if (t.kind === "struct" && object) {
    storeObject(L, dst, t, object);
    return;
  }
  if (t.kind === "array" && ts.isCallExpression(expr) && lowerBuiltinInto(L, dst, expr, zeroed)) return;
  const text = t.kind === "array" ? literalImage(L, t, expr) : undefined;
  if (text) {
    storeUncovered(L, dst, new Uint8Array(text.length), text);
    return;
  }
  const array = t.kind === "array" ? literalFor(L.types, expr, t, ts.isArrayLiteralExpression) : undefined;
  if (t.kind === "array" && array) {
    storeArray(L, dst, t, array);
    return;
  }
  const v = lowerExpr(L, expr, t);
  if (v.kind === "probed" && sizeOf(v.type) === sizeOf(t) && v.type.kind === t.kind) {
    copyFromProbed(L, dst, v);
    return;
  }
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
  const s = scalar(L, v);
  if (dst.bitfield) {
    storeBitfield(L.b, dst.base, dst.off, t, dst.bitfield, toOperand(L, s));
    return;
  }
  // A store writes the low bytes only: it narrows by itself, no extension needed.
  const n = s.kind === "int" || s.kind === "ptr" ? s : narrow(L, s, t);
  L.b.emit({ op: "store", base: dst.base, off: dst.off, size: t.size, src: toOperand(L, n) });
}

/**
 * A struct or union from an object literal. The bytes its ordinary members do not write
 * are written first from a constant image: zeros, with the bits of the bitfields given
 * constant values in place, so constant bitfields sharing a storage unit cost one store.
 * Then the members are evaluated in the order they are written, as TypeScript does: an
 * ordinary member stored at once, a bitfield given a run-time value stored after them.
 */
function storeObject(L: Lowerer, dst: Mem, t: StructType, lit: ts.ObjectLiteralExpression): void {
  const given = new Map<string, ts.Expression>();
  for (const p of lit.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) given.set(p.name.text, p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) given.set(p.name.text, p.name);
    else L.ctx.fail("unsupportedSyntax", p, "This kind of object literal member");
    if (t.union && given.size > 1) L.ctx.fail("unionLiteral", p, String(lit.properties.length));
  }
  const fields = namedFields(t);
  const members = [...given].map(([name, e]) => {
    const f = fields.find((x) => x.name === name) ?? L.ctx.fail("unknownName", e.parent, name);
    return { f, e, constant: f.bitfield && constantValue(L.ctx, L.mod, e) };
  });
  const covered = new Uint8Array(t.size);
  const image = new Uint8Array(t.size);
  for (const { f, e, constant } of members) {
    if (!f.bitfield && writesWholeField(L, f.type, e)) covered.fill(1, f.offset, f.offset + sizeOf(f.type));
    if (f.bitfield && constant !== undefined) addBits(image, f.offset, f.bitfield, constant);
  }
  storeUncovered(L, dst, covered, image);
  // Bitfields last: a read-modify-write loads its whole unit, which may hold ordinary
  // members too (`a: Bits<u32, 4>; x: u8` puts x inside a's unit), and every byte of it
  // must be written by then.
  const bitfields: { mem: Mem; v: Value }[] = [];
  members.forEach(({ f, e, constant }, i) => {
    if (constant !== undefined) return;
    const mem: Mem = { kind: "mem", type: f.type, base: dst.base, off: dst.off + f.offset, bitfield: f.bitfield };
    // A member left uncovered above is all zero now.
    if (!f.bitfield) storeInto(L, mem, e, !covered[f.offset]);
    else bitfields.push({ mem, v: beforeLater(L, lowerExpr(L, e, f.type), members.slice(i + 1).map((m) => m.e)) });
  });
  for (const { mem, v } of bitfields) storeValue(L, mem, v);
}

/** ORs a bitfield's constant value into a little-endian byte image of its struct; its
 *  storage unit is at `offset`. */
function addBits(image: Uint8Array, offset: number, bf: Bitfield, value: bigint): void {
  let bits = placeBits(value, bf);
  for (let i = offset; bits !== 0n; i++, bits >>= 8n) image[i]! |= Number(bits & 0xffn);
}

/** A FixedArray (or Chars) field from an array literal: element by element, the elements
 *  it leaves out zeroed. */
function storeArray(L: Lowerer, dst: Mem, t: ArrayType, lit: ts.ArrayLiteralExpression): void {
  const elems = lit.elements;
  if (elems.length > t.length) L.ctx.fail("unsupportedSyntax", elems[t.length], `An array literal with more than ${t.length} elements for a ${t.length}-element array`);
  const size = sizeOf(t.elem);
  const covered = new Uint8Array(sizeOf(t));
  covered.fill(1, 0, elems.length * size);
  storeUncovered(L, dst, covered, new Uint8Array(covered.length));
  elems.forEach((e, i) => {
    if (ts.isSpreadElement(e) || ts.isOmittedExpression(e)) L.ctx.fail("unsupportedSyntax", e, "A spread or a hole in an array literal");
    storeInto(L, { kind: "mem", type: t.elem, base: dst.base, off: dst.off + i * size }, e);
  });
}

/** Whether storing `e` into a field of type t writes every byte of it. */
function writesWholeField(L: Lowerer, t: CType, e: ts.Expression): boolean {
  e = skipParens(e);
  // comm() and readStr() write up to the string's NUL; the rest of the buffer is zeroed first.
  return !(t.kind === "array" && ts.isCallExpression(e) && isStringFill(L.ctx.runtimeName(e.expression)));
}

/** Writes the image's bytes where `covered` is 0, with the widest aligned stores; a
 *  register per distinct value (most often one, zero). */
export function storeUncovered(L: Lowerer, dst: Mem, covered: Uint8Array, image: Uint8Array): void {
  const regs = new Map<bigint, number>();
  let i = 0;
  while (i < covered.length) {
    if (covered[i]) { i++; continue; }
    let size: 1 | 2 | 4 | 8 = 8;
    while (size > 1 && ((dst.off + i) % size !== 0 || i + size > covered.length || covered.subarray(i, i + size).some((c) => c))) size = (size / 2) as 1 | 2 | 4;
    let value = 0n;
    for (let k = size - 1; k >= 0; k--) value = value << 8n | BigInt(image[i + k]!);
    value = BigInt.asIntN(64, value);
    let src = regs.get(value);
    if (src === undefined) regs.set(value, (src = L.b.constReg(value)));
    L.b.emit({ op: "store", base: dst.base, off: dst.off + i, size, src });
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

/** Copies a struct or array of the probed program's memory into BPF memory with one probe
 *  read of the whole (a fault leaves it zeroed). */
export function copyFromProbed(L: Lowerer, dst: Mem, src: Extract<Value, { kind: "probed" }>): void {
  L.b.emit({ op: "call", helper: src.space === "user" ? HELPER.probe_read_user : HELPER.probe_read_kernel, args: [addressOf(L, dst), { imm: BigInt(sizeOf(src.type)) }, src.reg] });
}
