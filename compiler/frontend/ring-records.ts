// Ring-buffer records filled in place: `rb.reserve()` (bpf_ringbuf_reserve) returns room
// for a record in the ring itself, so a record may be larger than the 512-byte stack and
// is never copied; `rb.submit(r)` and `rb.discard(r)` hand it back.
// In: the calls. Out: their IR, and each reservation's register in L.reservations, which
// reservations.ts follows to check that every path submits or discards it once.

import ts from "typescript";
import { HELPER } from "../helpers.js";
import { sizeOf, typeToString } from "../types/ctype.js";
import { bindingOf } from "./lower-expr.js";
import { skipParens, type MapInfo } from "./module.js";
import { mapRef, type Lowerer, type Value } from "./values.js";

export function lowerReserve(L: Lowerer, map: MapInfo, call: ts.CallExpression): Value {
  const record = map.value!;
  if (call.arguments.length !== 0) L.ctx.fail("badCall", call, `${map.name}.reserve() takes no arguments: the record's size is its type's.`);
  if (record.kind === "int" || record.kind === "ptr") {
    L.ctx.fail("badCall", call, `${map.name}.reserve() gives a record to fill in place, which a ${typeToString(record)} is not: send it with ${map.name}.output(value).`);
  }
  if (!heldInConst(call)) {
    L.ctx.fail("badCall", call, `Hold the record ${map.name}.reserve() gives in a const (const e = ${map.name}.reserve()), so that the compiler can follow it to its submit() or discard().`);
  }
  const p = L.b.newReg();
  L.b.emit({ op: "call", dst: p, helper: HELPER.ringbuf_reserve, args: [mapRef(L, map), { imm: BigInt(sizeOf(record)) }, { imm: 0n }] });
  L.reservations.set(p, { ring: map.name, line: L.ctx.pos(call).line });
  return { kind: "maybe", type: record, reg: p, map };
}

export function lowerRelease(L: Lowerer, map: MapInfo, method: "submit" | "discard", call: ts.CallExpression): Value {
  const arg = call.arguments.length === 1 ? skipParens(call.arguments[0]!) : undefined;
  const b = arg && ts.isIdentifier(arg) ? bindingOf(L, arg) : undefined;
  const reservation = b?.kind === "maybe" ? L.reservations.get(b.reg) : undefined;
  if (!b || b.kind !== "maybe" || !reservation) {
    return L.ctx.fail("badCall", arg ?? call, `${map.name}.${method}() takes the const that holds a record ${map.name}.reserve() gave in this function.`);
  }
  if (reservation.ring !== map.name) {
    L.ctx.fail("badCall", arg!, `'${(arg as ts.Identifier).text}' was reserved in ${reservation.ring} at line ${reservation.line}: ${method} it with ${reservation.ring}.${method}().`);
  }
  const helper = method === "submit" ? HELPER.ringbuf_submit : HELPER.ringbuf_discard;
  L.b.emit({ op: "call", helper, args: [b.reg, { imm: 0n }] });
  return { kind: "void" };
}

/** `const e = rb.reserve()`: the record's one name, which nothing can reassign. */
function heldInConst(call: ts.CallExpression): boolean {
  let n: ts.Node = call;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const d = n.parent;
  return ts.isVariableDeclaration(d) && d.initializer === n && ts.isIdentifier(d.name)
    && ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.Const) !== 0;
}
