// Attribute forms of DWARF 2–5: decoding one attribute value, or skipping it cheaply.
// In: a cursor at an attribute value, its form, and the unit's address size, offset size
// and version. Out: the raw value (a number, bigint, string or byte block), not yet
// resolved against string/address/list sections; the unit layer resolves those.

import { ByteReader, DebugFormatError } from "./byte-reader.js";
import { DW_FORM } from "./dwarf-consts.js";

/**
 * A decoded attribute value:
 * - numbers: data1/2/4, flag, references (already made absolute, see UnitShape), section
 *   offsets, string/address/list indexes;
 * - bigints: addr, data8, sdata, udata, implicit_const, ref_sig8;
 * - string: DW_FORM_string; Uint8Array: blocks, exprloc, data16.
 */
export type RawValue = number | bigint | string | Uint8Array;

export interface Attr {
  at: number;
  form: number;
  val: RawValue;
}

/** What decoding a form needs to know about its unit. */
export interface UnitShape {
  version: number;
  addrSize: number;
  is64: boolean;
  /** Absolute (virtual) offset of the unit header: ref1..ref_udata are relative to it. */
  offset: number;
  /** Absolute (virtual) offset of the start of the unit's section: ref_addr is relative to it. */
  secBase: number;
}

/** Decodes one attribute value; `implicitConst` is the abbreviation's value for DW_FORM_implicit_const. */
export function readForm(r: ByteReader, form: number, u: UnitShape, implicitConst: bigint): { form: number; val: RawValue } {
  switch (form) {
    case DW_FORM.addr: return { form, val: r.uSized(u.addrSize) };
    case DW_FORM.block1: return { form, val: r.bytes(r.u8()) };
    case DW_FORM.block2: return { form, val: r.bytes(r.u16()) };
    case DW_FORM.block4: return { form, val: r.bytes(r.u32()) };
    case DW_FORM.block:
    case DW_FORM.exprloc: return { form, val: r.bytes(r.uleb()) };
    case DW_FORM.data1: return { form, val: r.u8() };
    case DW_FORM.data2: return { form, val: r.u16() };
    case DW_FORM.data4: return { form, val: r.u32() };
    case DW_FORM.data8: return { form, val: r.u64() };
    case DW_FORM.data16: return { form, val: r.bytes(16) };
    case DW_FORM.sdata: return { form, val: r.slebBig() };
    case DW_FORM.udata: return { form, val: r.ulebBig() };
    case DW_FORM.string: return { form, val: r.cstr() };
    case DW_FORM.flag: return { form, val: r.u8() };
    case DW_FORM.flag_present: return { form, val: 1 };
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_strp_alt:
    case DW_FORM.sec_offset: return { form, val: r.offset(u.is64) };
    case DW_FORM.ref_addr:
      return { form, val: u.secBase + (u.version <= 2 ? Number(r.uSized(u.addrSize)) : r.offset(u.is64)) };
    case DW_FORM.ref1: return { form, val: u.offset + r.u8() };
    case DW_FORM.ref2: return { form, val: u.offset + r.u16() };
    case DW_FORM.ref4: return { form, val: u.offset + r.u32() };
    case DW_FORM.ref8: return { form, val: u.offset + r.u64n() };
    case DW_FORM.ref_udata: return { form, val: u.offset + r.uleb() };
    case DW_FORM.ref_sig8: return { form, val: r.u64() };
    case DW_FORM.ref_sup4: return { form, val: r.u32() };
    case DW_FORM.ref_sup8: return { form, val: r.u64n() };
    case DW_FORM.GNU_ref_alt: return { form, val: r.offset(u.is64) };
    case DW_FORM.strx:
    case DW_FORM.addrx:
    case DW_FORM.loclistx:
    case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index:
    case DW_FORM.GNU_str_index: return { form, val: r.uleb() };
    case DW_FORM.strx1:
    case DW_FORM.addrx1: return { form, val: r.u8() };
    case DW_FORM.strx2:
    case DW_FORM.addrx2: return { form, val: r.u16() };
    case DW_FORM.strx3:
    case DW_FORM.addrx3: return { form, val: r.u24() };
    case DW_FORM.strx4:
    case DW_FORM.addrx4: return { form, val: r.u32() };
    case DW_FORM.implicit_const: return { form, val: implicitConst };
    case DW_FORM.indirect: return readForm(r, r.uleb(), u, implicitConst);
    default: throw new DebugFormatError(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/**
 * The size of a form's value when it does not depend on the data: a byte count, 0 for
 * forms stored in the abbreviation, or -1 for variable-length forms.
 */
export function fixedFormSize(form: number, u: UnitShape): number {
  switch (form) {
    case DW_FORM.addr: return u.addrSize;
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: return 1;
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: return 2;
    case DW_FORM.strx3: case DW_FORM.addrx3: return 3;
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: case DW_FORM.strx4: case DW_FORM.addrx4: return 4;
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return 8;
    case DW_FORM.data16: return 16;
    case DW_FORM.strp: case DW_FORM.line_strp: case DW_FORM.sec_offset: case DW_FORM.strp_sup:
    case DW_FORM.GNU_strp_alt: case DW_FORM.GNU_ref_alt:
      return u.is64 ? 8 : 4;
    case DW_FORM.ref_addr: return u.version <= 2 ? u.addrSize : u.is64 ? 8 : 4;
    case DW_FORM.flag_present: case DW_FORM.implicit_const: return 0;
    default: return -1;
  }
}

/** Advances past one attribute value without decoding it. */
export function skipForm(r: ByteReader, form: number, u: UnitShape): void {
  const n = fixedFormSize(form, u);
  if (n >= 0) {
    r.pos += n;
    return;
  }
  switch (form) {
    case DW_FORM.block1: r.pos += r.u8(); return;
    case DW_FORM.block2: r.pos += r.u16(); return;
    case DW_FORM.block4: r.pos += r.u32(); return;
    case DW_FORM.block:
    case DW_FORM.exprloc: {
      const len = r.uleb();
      r.pos += len;
      return;
    }
    case DW_FORM.string: r.skipCstr(); return;
    case DW_FORM.sdata: case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.strx: case DW_FORM.addrx:
    case DW_FORM.loclistx: case DW_FORM.rnglistx: case DW_FORM.GNU_addr_index: case DW_FORM.GNU_str_index:
      r.skipLeb();
      return;
    case DW_FORM.indirect: skipForm(r, r.uleb(), u); return;
    default: throw new DebugFormatError(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/** Forms of the string class (resolved by the unit against .debug_str & co.). */
export function isStringForm(form: number): boolean {
  switch (form) {
    case DW_FORM.string: case DW_FORM.strp: case DW_FORM.line_strp: case DW_FORM.strx: case DW_FORM.strx1:
    case DW_FORM.strx2: case DW_FORM.strx3: case DW_FORM.strx4: case DW_FORM.GNU_str_index: case DW_FORM.strp_sup:
    case DW_FORM.GNU_strp_alt:
      return true;
    default:
      return false;
  }
}

/** Forms of the reference class whose value this reader makes an absolute DIE offset. */
export function isLocalRefForm(form: number): boolean {
  switch (form) {
    case DW_FORM.ref1: case DW_FORM.ref2: case DW_FORM.ref4: case DW_FORM.ref8: case DW_FORM.ref_udata:
    case DW_FORM.ref_addr:
      return true;
    default:
      return false;
  }
}
