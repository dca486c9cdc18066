// Reads from the probed code's memory: field paths through Ptr<T> become address
// arithmetic plus one probe-read helper call per pointer hop (user or kernel memory
// as the program's probe kind says). A read that faults leaves 0 (the helper zeroes
// its destination), for that value only.
// In: a pointer or probed-memory Value and a field name or index. Out: the field's
// value (scalars and pointers are read at once; structs and arrays stay addresses).

import type ts from "typescript";
import { HELPER } from "../helpers.js";
import type { VReg } from "../ir/ir.js";
import { sizeOf, type CType } from "../types/ctype.js";
import { scratchSlot, spaceOf, type Lowerer, type Value } from "./values.js";

type Located = Extract<Value, { kind: "ptr" | "probed" }>;

/** The struct a pointer or probed location refers to. */
function structOf(v: Located): CType {
  return v.kind === "ptr" ? v.type.to : v.type;
}

export function fieldOf(L: Lowerer, obj: Located, name: string, node: ts.PropertyAccessExpression): Value {
  const st = structOf(obj);
  if (st.kind !== "struct") return L.ctx.fail("unsupportedSyntax", node, `Reading '.${name}' through a pointer to a non-struct type`);
  const kernel = L.ctx.kernel.field(st, name, node.name);
  const space = obj.kind === "ptr" ? spaceOf(L, obj.type) : obj.space;
  if (kernel?.core) {
    // One relocatable add per field: libbpf rewrites its immediate for the running kernel.
    const r = L.b.newReg();
    L.b.emit({ op: "alu", alu: "add", dst: r, a: obj.reg, b: { imm: BigInt(kernel.offset) }, core: kernel.core });
    return at(L, r, kernel.type, space);
  }
  if (kernel) return at(L, offsetAddress(L, obj.reg, kernel.offset), kernel.type, space);
  const f = st.fields.find((x) => x.name === name);
  if (!f) return L.ctx.fail("unknownName", node.name, name);
  return at(L, offsetAddress(L, obj.reg, f.offset), f.type, space);
}

export function elementOf(L: Lowerer, obj: Extract<Value, { kind: "probed" }>, index: number, node: ts.Node): Value {
  if (obj.type.kind !== "array") return L.ctx.fail("unsupportedSyntax", node, "Indexing a non-array");
  if (index < 0 || index >= obj.type.length) L.ctx.fail("unsupportedSyntax", node, `Index ${index} outside 0..${obj.type.length - 1}`);
  return at(L, offsetAddress(L, obj.reg, index * sizeOf(obj.type.elem)), obj.type.elem, obj.space);
}

function offsetAddress(L: Lowerer, base: VReg, off: number): VReg {
  if (off === 0) return base;
  const r = L.b.newReg();
  L.b.emit({ op: "alu", alu: "add", dst: r, a: base, b: { imm: BigInt(off) } });
  return r;
}

/** The value at an address of the probed memory: scalars are read now. */
function at(L: Lowerer, addr: VReg, type: CType, space: "user" | "kernel"): Value {
  if (type.kind === "int" || type.kind === "ptr") return readProbed(L, addr, type, space);
  return { kind: "probed", type, reg: addr, space };
}

/** One probe read of a scalar or pointer into the scratch slot, then a load. */
function readProbed(L: Lowerer, addr: VReg, type: CType, space: "user" | "kernel"): Value {
  const size = type.kind === "int" ? type.size : 8;
  const slot = scratchSlot(L);
  const dst = L.b.newReg();
  L.b.emit({ op: "addr", dst, slot, off: 0 });
  L.b.emit({ op: "call", helper: space === "user" ? HELPER.probe_read_user : HELPER.probe_read_kernel, args: [dst, { imm: BigInt(size) }, addr] });
  const r = L.b.newReg();
  L.b.emit({ op: "load", dst: r, base: { slot }, off: 0, size: size as 1 | 2 | 4 | 8 });
  if (type.kind === "ptr") return { kind: "ptr", type, reg: r };
  if (type.kind !== "int") throw new Error("internal: readProbed of aggregate");
  if (type.signed && size < 8) {
    const s = L.b.newReg();
    L.b.emit({ op: "ext", dst: s, src: r, bits: (size * 8) as 8 | 16 | 32, signed: true });
    return { kind: "int", type, reg: s };
  }
  return { kind: "int", type, reg: r };
}
