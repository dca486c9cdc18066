// README's integer semantics ("Integer semantics"), written down for the reference
// evaluator independently of the compiler: a value is a mathematical integer in its
// type's range, tagged with its type ("lit" for an untyped literal).
//
// - Operands are promoted to 64 bits: unsigned types narrower than 64 bits are
//   zero-extended and then behave as signed values; the result is u64 if either operand
//   is u64, else i64. A literal below 2^63 has no type of its own and promotes as an
//   i64; one of 2^63 and more is a u64.
// - Signedness picks signed or unsigned comparison, / and %; `>>` is arithmetic when its
//   left operand is signed after promotion (anything but u64), `>>>` always logical.
// - Division truncates toward zero; x / 0 = 0 and x % 0 = x. Shift counts are mod 64.
// - A value is narrowed to its declared type when stored, and by `as`.

import { bitsOf, isSigned, type ArithOp, type CmpOp, type IntName, type ScalarName } from "./ast.js";

export type ValueType = ScalarName | "lit";

export interface Typed {
  v: bigint;
  t: ValueType;
}

const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

export function narrow(t: ScalarName, v: bigint): bigint {
  if (t === "bool") {
    if (v !== 0n && v !== 1n) throw new Error(`reference: ${v} stored into a bool`);
    return v;
  }
  return isSigned(t) ? BigInt.asIntN(bitsOf(t), v) : BigInt.asUintN(bitsOf(t), v);
}

/** An integer literal (or top-level constant) of value `v`: a u64 from 2^63 on, else untyped. */
export function literal(v: bigint): Typed {
  return { v, t: v >= 1n << 63n ? "u64" : "lit" };
}

/** The promoted type of an operation on operands of these types. */
export function promoted(a: ValueType, b: ValueType): "u64" | "i64" {
  return a === "u64" || b === "u64" ? "u64" : "i64";
}

function wrap(t: "u64" | "i64", v: bigint): Typed {
  return { v: t === "u64" ? u64(v) : s64(v), t };
}

export function arith(op: ArithOp, a: Typed, b: Typed): Typed {
  const t = promoted(a.t, b.t);
  const count = b.v & 63n;
  switch (op) {
    case "+": return wrap(t, a.v + b.v);
    case "-": return wrap(t, a.v - b.v);
    case "*": return wrap(t, a.v * b.v);
    case "&": return wrap(t, a.v & b.v);
    case "|": return wrap(t, a.v | b.v);
    case "^": return wrap(t, a.v ^ b.v);
    case "/": {
      const [x, y] = t === "u64" ? [u64(a.v), u64(b.v)] : [a.v, b.v];
      return wrap(t, y === 0n ? 0n : x / y);
    }
    case "%": {
      const [x, y] = t === "u64" ? [u64(a.v), u64(b.v)] : [a.v, b.v];
      return wrap(t, y === 0n ? x : x % y);
    }
    case "<<": return wrap(t, a.v << count);
    case ">>": return wrap(t, a.t === "u64" ? u64(a.v) >> count : a.v >> count);
    case ">>>": return wrap(t, u64(a.v) >> count);
  }
}

export function negate(a: Typed): Typed {
  return wrap(promoted(a.t, a.t), -a.v);
}

export function invert(a: Typed): Typed {
  return wrap(promoted(a.t, a.t), ~a.v);
}

export function compare(op: CmpOp, a: Typed, b: Typed): boolean {
  const [x, y] = promoted(a.t, b.t) === "u64" ? [u64(a.v), u64(b.v)] : [a.v, b.v];
  switch (op) {
    case "===": return x === y;
    case "!==": return x !== y;
    case "<": return x < y;
    case "<=": return x <= y;
    case ">": return x > y;
    case ">=": return x >= y;
  }
}

/** The type of `c ? a : b` (README does not say): bool if both are, else the promoted
 *  type — which keeps either side's value, and is u64 exactly when a side is. */
export function branchesType(a: ValueType, b: ValueType): ValueType {
  return a === "bool" && b === "bool" ? "bool" : promoted(a, b);
}

export function typed(t: ValueType, v: bigint): Typed {
  return { v: t === "lit" || t === "bool" ? v : narrow(t, v), t };
}

export function truthy(a: Typed): boolean {
  return a.v !== 0n;
}

export function bool(b: boolean): Typed {
  return { v: b ? 1n : 0n, t: "bool" };
}

/** A C argument of type `ctype` (an integer type's name, or bool) as C converts the
 *  64-bit pattern main() parsed. */
export function cValue(ctype: IntName | "bool", raw: bigint): bigint {
  return ctype === "bool" ? (u64(raw) !== 0n ? 1n : 0n) : narrow(ctype, raw);
}
