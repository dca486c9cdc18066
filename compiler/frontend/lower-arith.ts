// Integer arithmetic of the subset: the promoted type of a result, constant folding,
// and the IR ALU operation for each operator.
// In: two scalar Values and an operator. Out: the result Value (a folded constant, or a
// register computed by one IR alu instruction).
//
// Integer rules (README "Integer semantics"): operands promote to 64 bits; the result is
// u64 when either operand is u64, else i64. Signedness picks signed or unsigned >>, / and
// %; division truncates toward zero and x/0 = 0, x%0 = x as in BPF; shift counts mod 64.

import type ts from "typescript";
import type { AluOp } from "../ir/ir.js";
import { I64, U64, type IntType } from "../types/ctype.js";
import { constVal, intTypeOf, nonNegative, scalar, toReg, type Lowerer, type Value } from "./values.js";

export function isU64(v: Value): boolean {
  const t = intTypeOf(v);
  return t.size === 8 && !t.signed && !(v.kind === "const" && v.type === undefined);
}

/** The promoted type of an arithmetic result: u64 if either side is u64, else i64. */
export function resultType(a: Value, b: Value): IntType {
  return isU64(a) || isU64(b) ? U64 : I64;
}

/** Evaluates an integer binary operation, folding constants. */
export function arith(L: Lowerer, op: string, av: Value, bv: Value, node: ts.Node): Value {
  const a = scalar(L, av);
  const b = scalar(L, bv);
  for (const v of [a, b]) {
    if (v.kind !== "int" && v.kind !== "const") L.ctx.fail("unsupportedSyntax", node, `Arithmetic on a ${v.kind === "ptr" ? "pointer" : v.kind === "maybe" ? "map value that may be undefined" : "struct"}`);
  }
  const type = resultType(a, b);
  const signedDiv = type.signed && !(nonNegative(a) && nonNegative(b));
  const signedShr = intTypeOf(a).signed && !nonNegative(a);
  if (a.kind === "const" && b.kind === "const") return constVal(fold(op, a.value, b.value, signedDiv, signedShr), type);
  let alu: AluOp;
  switch (op) {
    case "+": alu = "add"; break;
    case "-": alu = "sub"; break;
    case "*": alu = "mul"; break;
    case "/": alu = signedDiv ? "sdiv" : "udiv"; break;
    case "%": alu = signedDiv ? "smod" : "umod"; break;
    case "&": alu = "and"; break;
    case "|": alu = "or"; break;
    case "^": alu = "xor"; break;
    case "<<": alu = "lsh"; break;
    case ">>": alu = signedShr ? "arsh" : "rsh"; break;
    default: alu = "rsh"; break; // >>>
  }
  const shift = alu === "lsh" || alu === "rsh" || alu === "arsh";
  let left = a, right = b;
  if (left.kind === "const" && (alu === "add" || alu === "mul" || alu === "and" || alu === "or" || alu === "xor")) [left, right] = [right, left];
  const dst = L.b.newReg();
  const rhs = right.kind === "const" ? { imm: shift ? right.value & 63n : BigInt.asIntN(64, right.value) } : toReg(L, right);
  L.b.emit({ op: "alu", alu, dst, a: toReg(L, left), b: rhs });
  return { kind: "int", type, reg: dst };
}

function fold(op: string, a: bigint, b: bigint, signedDiv: boolean, signedShr: boolean): bigint {
  const s = (x: bigint) => BigInt.asIntN(64, x);
  const u = (x: bigint) => BigInt.asUintN(64, x);
  switch (op) {
    case "+": return a + b;
    case "-": return a - b;
    case "*": return a * b;
    case "/": if (b === 0n) return 0n; return signedDiv ? s(a) / s(b) : u(a) / u(b);
    case "%": if (b === 0n) return a; return signedDiv ? s(a) % s(b) : u(a) % u(b);
    case "&": return a & b;
    case "|": return a | b;
    case "^": return a ^ b;
    case "<<": return s(a << (b & 63n));
    case ">>": return signedShr ? s(a) >> (b & 63n) : u(a) >> (b & 63n);
    default: return u(a) >> (b & 63n);
  }
}
