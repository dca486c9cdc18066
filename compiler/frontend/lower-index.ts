// Fixed-array elements at an index known only at run time, in BPF memory (a stack local,
// a checked map value or a global), of any element type: the index is checked against the
// length before the access, as the verifier demands. An index out of range reads 0 and
// writes nothing.
// In: `arr[i]` with `arr` a FixedArray in BPF memory. Out: a scalar element's memory
// inside a guarded region (openElement) and the join after it (closeGuard); a struct or
// array element as memory that later accesses take like any other (aggregateElement).

import ts from "typescript";
import type { Block, VReg } from "../ir/ir.js";
import { I64, sizeOf, U64, type CType } from "../types/ctype.js";
import { storeUncovered } from "./lower-store.js";
import { scalar, toReg, type Lowerer, type Value } from "./values.js";

type Mem = Extract<Value, { kind: "mem" }>;

/** An array element whose index is a register: evaluated, not yet bounds-checked. */
export interface DynamicElement { array: Mem; elem: CType; length: number; index: VReg; node: ts.Node }

/** The index of `arr[i]` as the access should take it: a constant the source wrote as one
 *  (its TypeScript type a literal: `arr[5]`, `arr[N]`) stays a constant, checked against
 *  the length at compile time; one that is constant only after folding (an inlined call's
 *  constant argument) is a run-time index, which out of range reads 0 and writes nothing,
 *  as in the call with a run-time argument. */
export function indexValue(L: Lowerer, index: Value, length: number, e: ts.ElementAccessExpression): Value {
  if (index.kind !== "const" || (index.value >= 0n && index.value < BigInt(length))) return index;
  const literal = L.ctx.checker.getTypeAtLocation(e.argumentExpression).flags & (ts.TypeFlags.NumberLiteral | ts.TypeFlags.BigIntLiteral);
  return literal ? index : { kind: "int", type: index.type ?? (index.value < 0n ? I64 : U64), reg: toReg(L, index) };
}

/** `arr[index]` with `arr` (already lowered) a FixedArray in BPF memory and `index` a
 *  run-time value: the element to guard. */
export function dynamicElement(L: Lowerer, array: Mem, index: Value, e: ts.ElementAccessExpression): DynamicElement {
  if (array.type.kind !== "array") throw new Error("internal: dynamicElement of a non-array");
  if (index.kind !== "int") return L.ctx.fail("unsupportedSyntax", e.argumentExpression, "An array index that is not an integer");
  return { array, elem: array.type.elem, length: array.type.length, index: index.reg, node: e };
}

/** Is the element an integer or a pointer, accessed at once inside its bounds check? */
export function isScalarElement(d: DynamicElement): boolean {
  return d.elem.kind === "int" || d.elem.kind === "ptr";
}

/** Branches on `index < length` and, in range, gives the element's memory; the caller
 *  accesses it, then calls closeGuard. Returns the out-of-range block. */
export function openElement(L: Lowerer, d: DynamicElement): { mem: Mem; addr: VReg; outOfRange: Block } {
  const inRange = L.b.newBlock(), outOfRange = L.b.newBlock();
  L.b.terminate({ op: "br", cmp: "ult", a: d.index, b: { imm: BigInt(d.length) }, then: L.b.ref(inRange), else: L.b.ref(outOfRange) });
  L.b.setBlock(inRange);
  const base = L.b.newReg();
  const { array } = d;
  if ("slot" in array.base) L.b.emit({ op: "addr", dst: base, slot: array.base.slot, off: array.off });
  else L.b.emit({ op: "alu", alu: "add", dst: base, a: array.base.reg, b: { imm: BigInt(array.off) } });
  const size = sizeOf(d.elem);
  const scaled = L.b.newReg();
  const shift = Math.log2(size);
  if (Number.isInteger(shift)) L.b.emit({ op: "alu", alu: "lsh", dst: scaled, a: d.index, b: { imm: BigInt(shift) } });
  else L.b.emit({ op: "alu", alu: "mul", dst: scaled, a: d.index, b: { imm: BigInt(size) } });
  const addr = L.b.newReg();
  L.b.emit({ op: "alu", alu: "add", dst: addr, a: base, b: scaled });
  return { mem: { kind: "mem", type: d.elem, base: { reg: addr }, off: 0, readOnly: array.readOnly }, addr, outOfRange };
}

/** Ends a guarded access: both paths meet after it; `onOutOfRange` runs on the other. */
export function closeGuard(L: Lowerer, outOfRange: Block, onOutOfRange?: () => void): void {
  const join = L.b.newBlock();
  L.b.jump(join);
  L.b.setBlock(outOfRange);
  onOutOfRange?.();
  L.b.jump(join);
  L.b.setBlock(join);
}

/** A struct or array element, whose accesses come later (a field, a helper that fills
 *  it, a copy): its memory is the element's when the index is in range, else a scratch
 *  element zeroed on that path, so an out-of-range index reads 0 and its writes land
 *  nowhere. */
export function aggregateElement(L: Lowerer, d: DynamicElement): Mem {
  const addr = L.b.newReg();
  const element = openElement(L, d);
  L.b.emit({ op: "mov", dst: addr, src: element.addr });
  closeGuard(L, element.outOfRange, () => {
    const size = sizeOf(d.elem);
    const slot = L.b.newSlot(size, 8, "out-of-range element");
    const zeros = new Uint8Array(size);
    storeUncovered(L, { kind: "mem", type: d.elem, base: { slot }, off: 0 }, zeros, zeros);
    L.b.emit({ op: "addr", dst: addr, slot, off: 0 });
  });
  return { kind: "mem", type: d.elem, base: { reg: addr }, off: 0, readOnly: d.array.readOnly };
}

/** Reads `arr[i]` with a run-time index: a scalar element, or 0 when i is out of range;
 *  a struct or array element as memory (aggregateElement). */
export function readDynamicElement(L: Lowerer, d: DynamicElement): Value {
  if (!isScalarElement(d)) return aggregateElement(L, d);
  const result = L.b.newReg();
  const { mem, outOfRange } = openElement(L, d);
  L.b.emit({ op: "mov", dst: result, src: toReg(L, scalar(L, mem)) });
  closeGuard(L, outOfRange, () => L.b.emit({ op: "const", dst: result, value: 0n }));
  const type = d.elem;
  return type.kind === "ptr" ? { kind: "ptr", type, reg: result } : { kind: "int", type: type as Extract<CType, { kind: "int" }>, reg: result };
}
