// readStrInto(buf, offset, src, maxLen): a string read to a run-time offset of a byte
// buffer, for records that pack strings one after another (execsnoop's argv). The result
// is bpf_probe_read_{user,kernel}_str's: the bytes written with the NUL, or a negative
// errno. The offset is checked against the buffer's room first, as the verifier demands
// (offset + maxLen <= N, maxLen a constant); past it nothing is read and the result is
// -E2BIG (a constant offset is checked at compile time). Unlike readStr() the buffer is not zeroed: the helper writes the string and its
// NUL only, as the C original's reads do.
// In: the call. Out: the bounds check, the helper call and its i64 result.

import type ts from "typescript";
import { I64, U64 } from "../types/ctype.js";
import { stringSource } from "./builtins.js";
import { lowerExpr } from "./lower-expr.js";
import { constantValue } from "./module.js";
import { addressOf, scalar, type Lowerer, type Value } from "./values.js";

const E2BIG = 7n;

export function lowerReadStrInto(L: Lowerer, call: ts.CallExpression): Value {
  const [bufExpr, offsetExpr, srcExpr, maxExpr] = call.arguments as unknown as ts.Expression[];
  const buf = lowerExpr(L, bufExpr!);
  const t = buf.kind === "mem" ? buf.type : undefined;
  if (buf.kind !== "mem" || t?.kind !== "array" || t.elem.kind !== "int" || t.elem.size !== 1 || buf.readOnly) {
    return L.ctx.fail("badCall", bufExpr!, "readStrInto() writes into a Chars<N> or FixedArray<u8, N> in BPF memory (a local, a map value or a global).");
  }
  const maxLen = constantValue(L.ctx, L.mod, maxExpr!);
  if (maxLen === undefined || maxLen < 1n || maxLen > BigInt(t.length)) {
    return L.ctx.fail("badCall", maxExpr!, `readStrInto()'s maxLen is a constant from 1 to the buffer's size (${t.length}).`);
  }
  const offset = scalar(L, lowerExpr(L, offsetExpr!, U64));
  if (offset.kind !== "int" && offset.kind !== "const") return L.ctx.fail("badCall", offsetExpr!, "readStrInto()'s offset is an integer.");
  const room = BigInt(t.length) - maxLen;
  const { helper, src } = stringSource(L, srcExpr!, "readStrInto");
  const result = L.b.newReg();
  if (offset.kind === "const") {
    // A constant offset is checked here, and the read needs no branch.
    if (offset.value < 0n || offset.value > room) return L.ctx.fail("badCall", offsetExpr!, `readStrInto()'s offset ${offset.value} and maxLen ${maxLen} pass the buffer's end (${t.length}).`);
    const dst = addressOf(L, { ...buf, off: buf.off + Number(offset.value) });
    L.b.emit({ op: "call", dst: result, helper, args: [dst, { imm: maxLen }, src] });
    return { kind: "int", type: I64, reg: result };
  }
  const inRoom = L.b.newBlock(), noRoom = L.b.newBlock(), join = L.b.newBlock();
  L.b.terminate({ op: "br", cmp: "ule", a: offset.reg, b: { imm: room }, then: L.b.ref(inRoom), else: L.b.ref(noRoom) });
  L.b.setBlock(inRoom);
  const dst = L.b.newReg();
  L.b.emit({ op: "alu", alu: "add", dst, a: addressOf(L, buf), b: offset.reg });
  L.b.emit({ op: "call", dst: result, helper, args: [dst, { imm: maxLen }, src] });
  L.b.jump(join);
  L.b.setBlock(noRoom);
  L.b.emit({ op: "const", dst: result, value: -E2BIG });
  L.b.jump(join);
  L.b.setBlock(join);
  return { kind: "int", type: I64, reg: result };
}
