// Reads from the probed code's memory: field paths through Ptr<T> become address
// arithmetic plus one probe-read helper call per pointer hop (user or kernel memory
// as the program's probe kind says). A read that faults leaves 0 (the helper zeroes
// its destination). A read of a struct laid out at compile time (not a kernel struct,
// whose offsets CO-RE relocates) says which part of the object it reads, so that the
// clean-up can read several fields of one object at once (merge-probe-reads.ts).
// In: a pointer or probed-memory Value and a field name or index. Out: the field's
// value (scalars and pointers are read at once, a bitfield as its storage unit then
// shifted into place; structs and arrays stay addresses).

import type ts from "typescript";
import { HELPER } from "../helpers.js";
import type { VReg } from "../ir/ir.js";
import { findField, sizeOf, type Bitfield, type CType } from "../types/ctype.js";
import { loadScalar, scratchSlot, spaceOf, type Lowerer, type ObjectPart, type Value } from "./values.js";

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
  const f = findField(st, name);
  if (!f) return L.ctx.fail("unknownName", node.name, name);
  const whole = obj.kind === "ptr" ? { off: 0, size: sizeOf(st) } : obj.object;
  return at(L, offsetAddress(L, obj.reg, f.offset), f.type, space, f.bitfield, whole && { off: whole.off + f.offset, size: whole.size });
}

export function elementOf(L: Lowerer, obj: Extract<Value, { kind: "probed" }>, index: number, node: ts.Node): Value {
  if (obj.type.kind !== "array") return L.ctx.fail("unsupportedSyntax", node, "Indexing a non-array");
  if (index < 0 || index >= obj.type.length) L.ctx.fail("unsupportedSyntax", node, `Index ${index} outside 0..${obj.type.length - 1}`);
  const off = index * sizeOf(obj.type.elem);
  return at(L, offsetAddress(L, obj.reg, off), obj.type.elem, obj.space, undefined, obj.object && { off: obj.object.off + off, size: obj.object.size });
}

function offsetAddress(L: Lowerer, base: VReg, off: number): VReg {
  if (off === 0) return base;
  const r = L.b.newReg();
  L.b.emit({ op: "alu", alu: "add", dst: r, a: base, b: { imm: BigInt(off) } });
  return r;
}

/** The value at an address of the probed memory: scalars are read now. */
function at(L: Lowerer, addr: VReg, type: CType, space: "user" | "kernel", bitfield?: Bitfield, object?: ObjectPart): Value {
  if (type.kind === "int" || type.kind === "ptr") return readProbed(L, addr, type, space, bitfield, object);
  return { kind: "probed", type, reg: addr, space, object };
}

/** One probe read of a scalar, pointer or bitfield storage unit into the scratch slot,
 *  then a load from there. */
function readProbed(L: Lowerer, addr: VReg, type: Extract<CType, { kind: "int" | "ptr" }>, space: "user" | "kernel", bitfield?: Bitfield, object?: ObjectPart): Value {
  const slot = scratchSlot(L);
  const dst = L.b.newReg();
  const size = sizeOf(type);
  const part = object && object.off >= 0 && object.off + size <= object.size ? { probed: { start: object.off, size: object.size } } : {};
  L.b.emit({ op: "addr", dst, slot, off: 0 });
  L.b.emit({ op: "call", helper: space === "user" ? HELPER.probe_read_user : HELPER.probe_read_kernel, args: [dst, { imm: BigInt(size) }, addr], ...part });
  // A pointer found in a space's memory points into that space (a kernel struct's
  // pointers into the kernel, even in a uprobe), unless its type says otherwise (__user).
  const found = type.kind === "ptr" && !type.explicit ? { ...type, space, explicit: true } : type;
  return loadScalar(L, { kind: "mem", type: found, base: { slot }, off: 0, bitfield });
}
