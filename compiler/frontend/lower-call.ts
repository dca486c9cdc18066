// Lowers calls: map methods (get, set, delete, add, output, a Log2Hist's and a LinearHist's observe),
// bpftsc helpers, and the probe file's own functions (function-calls.ts).
// In: a call expression. Out: its Value, with IR for the helper calls emitted.

import ts from "typescript";
import { BPF_ANY, BPF_EXIST, BPF_F_CURRENT_CPU, BPF_F_USER_STACK, BPF_NOEXIST, HELPER } from "../helpers.js";
import type { VReg } from "../ir/ir.js";
import { BOOL, I64, U32, U64, sizeOf, type CType, type IntType } from "../types/ctype.js";
import { isStringFill, isValueBuiltin, lowerValueBuiltin } from "./builtins.js";
import { bindingOf, lowerExpr } from "./lower-expr.js";
import { lowerFunctionCall } from "./function-calls.js";
import { condToValue } from "./lower-cond.js";
import { linearBucket } from "./linear-hist.js";
import { log2Bucket } from "./log2-hist.js";
import type { MapInfo } from "./module.js";
import { storeInto } from "./lower-store.js";
import { lowerRelease, lowerReserve } from "./ring-records.js";
import { addressOf, mapRef, narrow, newLocal, programContext, toOperand, toReg, type Lowerer, type Value } from "./values.js";

export function lowerCall(L: Lowerer, call: ts.CallExpression, expected?: CType): Value {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const b = bindingOf(L, callee.expression);
    if (b?.kind === "map") return lowerMapMethod(L, b.map, callee.name.text, call);
  }
  if (ts.isIdentifier(callee)) {
    const name = L.ctx.runtimeName(callee);
    if (name !== undefined && isValueBuiltin(name)) return lowerValueBuiltin(L, name, call);
    if (name === "startsWith") return condToValue(L, call);
    if (isStringFill(name)) {
      if (!expected || expected.kind !== "array") return L.ctx.fail("badCall", call, `${name}() fills a Chars<N>: assign it to a struct field or a variable declared as Chars<N>.`);
      const dst = newLocal(L, expected, name);
      storeInto(L, dst, call);
      return dst;
    }
    const sym = L.ctx.symbolOf(callee);
    const fn = sym && L.mod.functions.get(sym);
    if (fn) return lowerFunctionCall(L, fn, call);
  }
  return L.ctx.fail("badCall", call, `'${callee.getText(L.ctx.sf)}' cannot be called in BPF code: call the bpftsc helpers, map methods or functions of this file.`);
}

type Mem = Extract<Value, { kind: "mem" }>;

/** Memory holding a key or value of type t: its own if it has it, else a stack copy.
 *  Callers take its address (addressOf) only right before the helper call, so the
 *  address is not held in a register across other calls. */
function memoryFor(L: Lowerer, t: CType, e: ts.Expression, what: string): Mem {
  if (t.kind !== "int") {
    const v = lowerExpr(L, e, t);
    if (v.kind === "mem" && sizeOf(v.type) === sizeOf(t)) return v;
  }
  const tmp = newLocal(L, t, what);
  storeInto(L, tmp, e);
  // A scalar key or value is one store, then only read by the map helper.
  if (t.kind === "int" && "slot" in tmp.base) L.b.markReadOnly(tmp.base.slot);
  return tmp;
}

function lowerMapMethod(L: Lowerer, map: MapInfo, method: string, call: ts.CallExpression): Value {
  const args = call.arguments;
  const need = (n: number, sig: string) => {
    if (args.length !== n) L.ctx.fail("badCall", call, `${map.name}.${method}(${sig}) takes ${n} argument${n === 1 ? "" : "s"}.`);
  };
  if (map.kind === "stacks") {
    if (method !== "kernelStackId" && method !== "userStackId") return L.ctx.fail("badCall", call, "A StackTraceMap has kernelStackId() and userStackId().");
    need(0, "");
    if (L.fn.kind !== "program") L.ctx.fail("badCall", call, `${map.name}.${method}() needs the program's context: call it in the handler, not in a subprogram.`);
    const id = L.b.newReg();
    L.b.emit({ op: "call", dst: id, helper: HELPER.get_stackid, args: [programContext(L), mapRef(L, map), { imm: method === "userStackId" ? BPF_F_USER_STACK : 0n }] });
    return { kind: "int", type: I64, reg: id };
  }
  if (map.kind === "cgroups") {
    if (method !== "currentTaskUnder") return L.ctx.fail("badCall", call, "A CgroupArray has currentTaskUnder(index).");
    need(1, "index");
    const index = toOperand(L, narrow(L, lowerExpr(L, args[0]!, U32), U32));
    const ret = L.b.newReg(), under = L.b.newReg();
    L.b.emit({ op: "call", dst: ret, helper: HELPER.current_task_under_cgroup, args: [mapRef(L, map), index] });
    L.b.emit({ op: "setcc", dst: under, cmp: "eq", a: ret, b: { imm: 1n } });
    return { kind: "int", type: BOOL, reg: under };
  }
  if (map.kind === "ring" && method === "reserve") return lowerReserve(L, map, call);
  if (map.kind === "ring" && (method === "submit" || method === "discard")) return lowerRelease(L, map, method, call);
  if (map.kind === "ring" || map.kind === "perf") {
    if (method !== "output") return L.ctx.fail("badCall", call, map.kind === "ring" ? "A RingBuf has output(record), reserve(), submit(record) and discard(record)." : "A PerfEventArray has one method: output(record).");
    need(1, "record");
    const rec = memoryFor(L, map.value!, args[0], `${map.className} record`);
    const size = { imm: BigInt(sizeOf(map.value!)) };
    if (map.kind === "ring") {
      L.b.emit({ op: "call", helper: HELPER.ringbuf_output, args: [mapRef(L, map), addressOf(L, rec), size, { imm: 0n }] });
    } else {
      // bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size): the record goes to
      // the perf buffer of the CPU the program runs on.
      if (L.fn.kind !== "program") L.ctx.fail("badCall", call, `${map.name}.output() needs the program's context: call it in the handler, not in a subprogram.`);
      L.b.emit({ op: "call", helper: HELPER.perf_event_output, args: [programContext(L), mapRef(L, map), { imm: BPF_F_CURRENT_CPU }, addressOf(L, rec), size] });
    }
    return { kind: "void" };
  }
  const key = map.key!, value = map.value!;
  switch (method) {
    case "get": {
      need(1, "key");
      const k = memoryFor(L, key, args[0], "map key");
      const p = L.b.newReg();
      L.b.emit({ op: "call", dst: p, helper: HELPER.map_lookup_elem, args: [mapRef(L, map), addressOf(L, k)] });
      return { kind: "maybe", type: value, reg: p, map };
    }
    case "set": {
      need(2, "key, value");
      const k = memoryFor(L, key, args[0], "map key");
      const v = memoryFor(L, value, args[1], "map value");
      L.b.emit({ op: "call", helper: HELPER.map_update_elem, args: [mapRef(L, map), addressOf(L, k), addressOf(L, v), { imm: BPF_ANY }] });
      return { kind: "void" };
    }
    case "insert":
    case "replace": {
      need(2, "key, value");
      const k = memoryFor(L, key, args[0], "map key");
      const v = memoryFor(L, value, args[1], "map value");
      const ret = L.b.newReg(), ok = L.b.newReg();
      L.b.emit({ op: "call", dst: ret, helper: HELPER.map_update_elem, args: [mapRef(L, map), addressOf(L, k), addressOf(L, v), { imm: method === "insert" ? BPF_NOEXIST : BPF_EXIST }] });
      L.b.emit({ op: "setcc", dst: ok, cmp: "eq", a: ret, b: { imm: 0n } });
      return { kind: "int", type: BOOL, reg: ok };
    }
    case "getOrInit": {
      need(2, "key, init");
      const k = memoryFor(L, key, args[0], "map key");
      const found = L.b.newReg();
      L.b.emit({ op: "call", dst: found, helper: HELPER.map_lookup_elem, args: [mapRef(L, map), addressOf(L, k)] });
      const missing = L.b.newBlock(), join = L.b.newBlock();
      L.b.terminate({ op: "br", cmp: "eq", a: found, b: { imm: 0n }, then: L.b.ref(missing), else: L.b.ref(join) });
      L.b.setBlock(missing);
      const v = memoryFor(L, value, args[1], "map value");
      L.b.emit({ op: "call", helper: HELPER.map_update_elem, args: [mapRef(L, map), addressOf(L, k), addressOf(L, v), { imm: BPF_NOEXIST }] });
      // Another CPU may have added it meanwhile (NOEXIST then fails): look it up again.
      L.b.emit({ op: "call", dst: found, helper: HELPER.map_lookup_elem, args: [mapRef(L, map), addressOf(L, k)] });
      L.b.jump(join);
      L.b.setBlock(join);
      return { kind: "maybe", type: value, reg: found, map };
    }
    case "delete": {
      need(1, "key");
      const k = memoryFor(L, key, args[0], "map key");
      L.b.emit({ op: "call", helper: HELPER.map_delete_elem, args: [mapRef(L, map), addressOf(L, k)] });
      return { kind: "void" };
    }
    case "add":
      need(2, "key, delta");
      if (value.kind !== "int") return L.ctx.fail("badCall", call, `${map.name}.add() needs an integer value type.`);
      return lowerAdd(L, map, value, memoryFor(L, key, args[0], "map key"), toReg(L, narrow(L, lowerExpr(L, args[1], value), value)));
    case "observe": {
      if (map.className !== "Log2Hist" && !map.linear) break;
      need(1, "value");
      const slot = newLocal(L, key, "histogram bucket");
      const observed = lowerExpr(L, args[0], map.linear ? I64 : U64);
      L.b.emit({ op: "store", base: slot.base, off: 0, size: 4, src: map.linear ? linearBucket(L, observed, map.linear) : log2Bucket(L, observed) });
      if ("slot" in slot.base) L.b.markReadOnly(slot.base.slot);
      return lowerAdd(L, map, U64, slot, L.b.constReg(1n));
    }
  }
  const methods = `${map.className === "Log2Hist" || map.linear ? "observe, " : ""}get, set, insert, replace, getOrInit, delete and add`;
  return L.ctx.fail("badCall", call.expression, `${map.className} has ${methods}; '${method}' is not one of them.`);
}

/** map.add(k, d): an atomic add to the value if present, else insert d (BPF_NOEXIST). */
function lowerAdd(L: Lowerer, map: MapInfo, value: IntType, k: Mem, delta: VReg): Value {
  const p = L.b.newReg();
  L.b.emit({ op: "call", dst: p, helper: HELPER.map_lookup_elem, args: [mapRef(L, map), addressOf(L, k)] });
  const found = L.b.newBlock(), missing = L.b.newBlock(), join = L.b.newBlock();
  L.b.terminate({ op: "br", cmp: "eq", a: p, b: { imm: 0n }, then: L.b.ref(missing), else: L.b.ref(found) });
  L.b.setBlock(found);
  if ((value.size === 4 || value.size === 8) && !map.perCpu) {
    L.b.emit({ op: "atomic_add", base: { reg: p }, off: 0, size: value.size, src: delta });
  } else {
    // Per-CPU values are private to this CPU: a plain add is enough.
    const old = L.b.newReg(), sum = L.b.newReg();
    L.b.emit({ op: "load", dst: old, base: { reg: p }, off: 0, size: value.size });
    L.b.emit({ op: "alu", alu: "add", dst: sum, a: old, b: delta });
    L.b.emit({ op: "store", base: { reg: p }, off: 0, size: value.size, src: sum });
  }
  L.b.jump(join);
  L.b.setBlock(missing);
  if (map.kind === "array") {
    L.b.jump(join); // array slots always exist: an index out of range adds nothing
  } else {
    const slot = L.b.newSlot(value.size, value.size, "map value");
    L.b.emit({ op: "store", base: { slot }, off: 0, size: value.size, src: delta });
    const v = L.b.newReg();
    L.b.emit({ op: "addr", dst: v, slot, off: 0 });
    L.b.emit({ op: "call", helper: HELPER.map_update_elem, args: [mapRef(L, map), addressOf(L, k), v, { imm: BPF_NOEXIST }] });
    L.b.jump(join);
  }
  L.b.setBlock(join);
  return { kind: "void" };
}
