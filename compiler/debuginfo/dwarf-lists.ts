// Address ranges and location lists of DIEs: DW_AT_low_pc/high_pc, DW_AT_ranges
// (.debug_rnglists in DWARF 5, also through DW_FORM_rnglistx; .debug_ranges before),
// and DW_AT_location lists (.debug_loclists in DWARF 5, also DW_FORM_loclistx;
// .debug_loc before).
// In: a DwarfContext and a DIE. Out: [lo, hi) address ranges, and location-list entries
// as (range, expression bytes) — an entry without a range is a default location.

import { ByteReader, DebugFormatError } from "./byte-reader.js";
import { DW_AT, DW_FORM, DW_LLE, DW_RLE } from "./dwarf-consts.js";
import type { Attr } from "./dwarf-forms.js";
import type { Die, DwarfContext, Unit } from "./dwarf-units.js";

export type Range = [bigint, bigint];

export interface RawLocEntry {
  lo?: bigint;
  hi?: bigint;
  expr: Uint8Array;
}

const ALL_ONES_64 = 0xffffffffffffffffn;

/** The address ranges a DIE covers (empty when it has none). */
export function dieRanges(ctx: DwarfContext, die: Die): Range[] {
  const lo = ctx.addr(die, DW_AT.low_pc);
  if (lo !== undefined) {
    const hiAttr = ctx.attr(die, DW_AT.high_pc);
    if (!hiAttr) return [];
    const asAddr = ctx.attrAddress(die.unit, hiAttr);
    if (asAddr !== undefined) return asAddr > lo ? [[lo, asAddr]] : [];
    const len = ctx.udata(die, DW_AT.high_pc);
    return len !== undefined && len > 0n ? [[lo, lo + len]] : [];
  }
  const ra = ctx.attr(die, DW_AT.ranges);
  if (!ra) return [];
  return rangeList(ctx, die.unit, ra);
}

function listOffset(u: Unit, a: Attr, base: number | undefined, sec: Uint8Array, what: string): number {
  if (a.form === DW_FORM.rnglistx || a.form === DW_FORM.loclistx) {
    if (base === undefined) throw new DebugFormatError(`${what}x without a ${what}s_base`);
    const size = u.is64 ? 8 : 4;
    return base + new ByteReader(sec, base + (a.val as number) * size).offset(u.is64);
  }
  if (typeof a.val === "number") return a.val;
  if (typeof a.val === "bigint") return Number(a.val);
  throw new DebugFormatError(`unexpected form 0x${a.form.toString(16)} for a ${what}`);
}

function rangeList(ctx: DwarfContext, u: Unit, a: Attr): Range[] {
  const root = ctx.root(u);
  const base = root.baseAddress;
  if (u.version >= 5) {
    const sec = ctx.sec.rnglists;
    if (!sec) throw new DebugFormatError("DW_AT_ranges without a .debug_rnglists section");
    return readRnglist(ctx, u, sec, listOffset(u, a, root.rnglistsBase, sec, "rnglist"), base);
  }
  const sec = ctx.sec.ranges;
  if (!sec) throw new DebugFormatError("DW_AT_ranges without a .debug_ranges section");
  return readRanges(u, sec, typeof a.val === "number" ? a.val : Number(a.val as bigint), base);
}

function readRnglist(ctx: DwarfContext, u: Unit, sec: Uint8Array, offset: number, baseIn: bigint): Range[] {
  const r = new ByteReader(sec, offset);
  const out: Range[] = [];
  let base = baseIn;
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case DW_RLE.end_of_list: return out;
      case DW_RLE.base_addressx: base = ctx.addrx(u, r.uleb()); break;
      case DW_RLE.startx_endx: { const lo = ctx.addrx(u, r.uleb()); const hi = ctx.addrx(u, r.uleb()); add(out, lo, hi); break; }
      case DW_RLE.startx_length: { const lo = ctx.addrx(u, r.uleb()); add(out, lo, lo + r.ulebBig()); break; }
      case DW_RLE.offset_pair: { const lo = base + r.ulebBig(); const hi = base + r.ulebBig(); add(out, lo, hi); break; }
      case DW_RLE.base_address: base = r.uSized(u.addrSize); break;
      case DW_RLE.start_end: { const lo = r.uSized(u.addrSize); add(out, lo, r.uSized(u.addrSize)); break; }
      case DW_RLE.start_length: { const lo = r.uSized(u.addrSize); add(out, lo, lo + r.ulebBig()); break; }
      default: throw new DebugFormatError(`unknown range list entry kind ${kind} at ${r.pos - 1}`);
    }
  }
}

/** The entries of a DWARF 2-4 list (.debug_ranges, .debug_loc): address pairs relative
 *  to a base, where a pair starting with all ones selects a new base and 0,0 ends the
 *  list. Calls `entry` with each pair made absolute, the reader just after the pair. */
function eachPre5Entry(u: Unit, sec: Uint8Array, offset: number, baseIn: bigint, entry: (r: ByteReader, lo: bigint, hi: bigint) => void): void {
  const r = new ByteReader(sec, offset);
  const max = u.addrSize === 8 ? ALL_ONES_64 : (1n << BigInt(u.addrSize * 8)) - 1n;
  let base = baseIn;
  for (;;) {
    const lo = r.uSized(u.addrSize);
    const hi = r.uSized(u.addrSize);
    if (lo === 0n && hi === 0n) return;
    if (lo === max) base = hi;
    else entry(r, base + lo, base + hi);
  }
}

function readRanges(u: Unit, sec: Uint8Array, offset: number, base: bigint): Range[] {
  const out: Range[] = [];
  eachPre5Entry(u, sec, offset, base, (_r, lo, hi) => add(out, lo, hi));
  return out;
}

function add(out: Range[], lo: bigint, hi: bigint): void {
  if (hi > lo) out.push([lo, hi]);
}

/** True when a DW_AT_location (or similar) attribute holds a location list rather than an expression. */
export function isLocList(u: Unit, a: Attr): boolean {
  if (a.form === DW_FORM.sec_offset || a.form === DW_FORM.loclistx) return true;
  // DWARF 2/3: a loclistptr is a data4/data8 constant.
  return u.version < 4 && (a.form === DW_FORM.data4 || a.form === DW_FORM.data8);
}

/** The entries of a location list attribute, in list order. Entries with empty expressions are kept. */
export function locationList(ctx: DwarfContext, u: Unit, a: Attr): RawLocEntry[] {
  const base = ctx.root(u).baseAddress;
  if (u.version >= 5) {
    const sec = ctx.sec.loclists;
    if (!sec) throw new DebugFormatError("location list without a .debug_loclists section");
    const offset = listOffset(u, a, ctx.root(u).loclistsBase, sec, "loclist");
    return readLoclist(ctx, u, sec, offset, base);
  }
  const sec = ctx.sec.loc;
  if (!sec) throw new DebugFormatError("location list without a .debug_loc section");
  return readLoc(u, sec, typeof a.val === "number" ? a.val : Number(a.val as bigint), base);
}

function readLoclist(ctx: DwarfContext, u: Unit, sec: Uint8Array, offset: number, baseIn: bigint): RawLocEntry[] {
  const r = new ByteReader(sec, offset);
  const out: RawLocEntry[] = [];
  let base = baseIn;
  const expr = (): Uint8Array => r.bytes(r.uleb());
  for (;;) {
    const kind = r.u8();
    switch (kind) {
      case DW_LLE.end_of_list: return out;
      case DW_LLE.base_addressx: base = ctx.addrx(u, r.uleb()); break;
      case DW_LLE.startx_endx: { const lo = ctx.addrx(u, r.uleb()); const hi = ctx.addrx(u, r.uleb()); out.push({ lo, hi, expr: expr() }); break; }
      case DW_LLE.startx_length: { const lo = ctx.addrx(u, r.uleb()); const hi = lo + r.ulebBig(); out.push({ lo, hi, expr: expr() }); break; }
      case DW_LLE.offset_pair: { const lo = base + r.ulebBig(); const hi = base + r.ulebBig(); out.push({ lo, hi, expr: expr() }); break; }
      case DW_LLE.default_location: out.push({ expr: expr() }); break;
      case DW_LLE.base_address: base = r.uSized(u.addrSize); break;
      case DW_LLE.start_end: { const lo = r.uSized(u.addrSize); const hi = r.uSized(u.addrSize); out.push({ lo, hi, expr: expr() }); break; }
      case DW_LLE.start_length: { const lo = r.uSized(u.addrSize); const hi = lo + r.ulebBig(); out.push({ lo, hi, expr: expr() }); break; }
      case 0x09: r.uleb(); r.uleb(); break; // DW_LLE_GNU_view_pair: location views, not needed
      default: throw new DebugFormatError(`unknown location list entry kind ${kind} at ${r.pos - 1}`);
    }
  }
}

function readLoc(u: Unit, sec: Uint8Array, offset: number, base: bigint): RawLocEntry[] {
  const out: RawLocEntry[] = [];
  eachPre5Entry(u, sec, offset, base, (r, lo, hi) => out.push({ lo, hi, expr: r.bytes(r.u16()) }));
  return out;
}
