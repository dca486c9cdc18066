// Bitfield members in BPF memory, as C compiles them: a read loads the storage unit and
// shifts the field's bits down (an arithmetic shift for a signed type, so the value is
// sign-extended); a write is a read-modify-write of the unit that changes only the
// field's bits.
// In: the storage unit's address (base, offset), the field's integer type and Bitfield,
// the IR builder. Out: IR; a register holding the field's value extended to 64 bits per
// its type, as every integer in a register is.

import type { IrBuilder } from "../ir/builder.js";
import type { Base, Operand, VReg } from "../ir/ir.js";
import { isImm } from "../ir/ir.js";
import type { Bitfield, IntType } from "../types/ctype.js";

/** The field's value: the unit loaded, the field's bits moved to the bottom. */
export function loadBitfield(b: IrBuilder, base: Base, off: number, type: IntType, bf: Bitfield): VReg {
  const unit = b.newReg();
  b.emit({ op: "load", dst: unit, base, off, size: type.size });
  const top = bf.bit + bf.width === type.size * 8;
  if (!type.signed && top) return shift(b, "rsh", unit, bf.bit); // nothing above it: the load zeroed that
  if (!type.signed && bf.bit === 0 && bf.width < 32) return and(b, unit, mask(bf.width));
  return extend(b, shift(b, "lsh", unit, 64 - bf.bit - bf.width), type.signed, bf.width);
}

/** Writes `value`'s low `width` bits into the field, leaving the unit's other bits. */
export function storeBitfield(b: IrBuilder, base: Base, off: number, type: IntType, bf: Bitfield, value: Operand): void {
  const old = b.newReg();
  b.emit({ op: "load", dst: old, base, off, size: type.size });
  const kept = and(b, old, BigInt.asIntN(64, ~(mask(bf.width) << BigInt(bf.bit))));
  let placed: Operand;
  if (isImm(value)) placed = { imm: BigInt.asIntN(64, placeBits(value.imm, bf)) };
  else if (bf.width < 32) placed = shift(b, "lsh", and(b, value, mask(bf.width)), bf.bit);
  else placed = shift(b, "rsh", shift(b, "lsh", value, 64 - bf.width), 64 - bf.width - bf.bit);
  const unit = b.newReg();
  b.emit({ op: "alu", alu: "or", dst: unit, a: kept, b: placed });
  b.emit({ op: "store", base, off, size: type.size, src: unit });
}

/** A register value narrowed to the field: its low `width` bits, extended per its type
 *  (what reading the field back gives). */
export function narrowToBitfield(b: IrBuilder, value: VReg, type: IntType, width: number): VReg {
  return extend(b, shift(b, "lsh", value, 64 - width), type.signed, width);
}

/** A constant narrowed to the field, as narrowToBitfield does. */
export function truncateToBitfield(value: bigint, type: IntType, width: number): bigint {
  return type.signed ? BigInt.asIntN(width, value) : BigInt.asUintN(width, value);
}

/** A constant's low `width` bits at the field's position in its unit. */
export function placeBits(value: bigint, bf: Bitfield): bigint {
  return (value & mask(bf.width)) << BigInt(bf.bit);
}

function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** Moves the top `width` bits of a register down to the bottom, zero- or sign-extended. */
function extend(b: IrBuilder, r: VReg, signed: boolean, width: number): VReg {
  return shift(b, signed ? "arsh" : "rsh", r, 64 - width);
}

function shift(b: IrBuilder, alu: "lsh" | "rsh" | "arsh", r: VReg, n: number): VReg {
  if (n === 0) return r;
  const dst = b.newReg();
  b.emit({ op: "alu", alu, dst, a: r, b: { imm: BigInt(n) } });
  return dst;
}

function and(b: IrBuilder, r: VReg, m: bigint): VReg {
  const dst = b.newReg();
  b.emit({ op: "alu", alu: "and", dst, a: r, b: { imm: m } });
  return dst;
}
