// The unit and DIE layer of the DWARF reader: unit headers of .debug_info (v2–v5, also
// v4 .debug_types), abbreviation tables, DIEs decoded on demand by offset, and attribute
// values resolved against .debug_str/.debug_line_str/.debug_str_offsets/.debug_addr.
// In: an ElfFile with .debug_* sections. Out: a DwarfContext (units, DIEs, attributes).
// DIE offsets are "absolute": .debug_info offsets, with .debug_types placed after it.

import { ByteReader, DebugFormatError, cstrAt } from "./byte-reader.js";
import { DW_AT, DW_FORM, DW_UT } from "./dwarf-consts.js";
import { fixedFormSize, readForm, skipForm, type Attr, type UnitShape } from "./dwarf-forms.js";
import type { ElfFile } from "./elf-read.js";

export interface DwarfSections {
  info: Uint8Array;
  types: Uint8Array | undefined;
  abbrev: Uint8Array;
  str: Uint8Array | undefined;
  lineStr: Uint8Array | undefined;
  strOffsets: Uint8Array | undefined;
  addr: Uint8Array | undefined;
  rnglists: Uint8Array | undefined;
  ranges: Uint8Array | undefined;
  loclists: Uint8Array | undefined;
  loc: Uint8Array | undefined;
  line: Uint8Array | undefined;
  aranges: Uint8Array | undefined;
}

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  ats: number[];
  forms: number[];
  consts: bigint[];
  /** Total size of the attribute values when every form has a fixed size, else -1. */
  fixedSize: number;
  /** Index of DW_AT_sibling among the attributes, or -1. */
  siblingIndex: number;
}

export interface Unit extends UnitShape {
  /** The section bytes the unit lives in (.debug_info or .debug_types). */
  sec: Uint8Array;
  /** Absolute offset just past the unit. */
  end: number;
  unitType: number;
  abbrevOffset: number;
  /** Absolute offset of the root DIE. */
  dieOffset: number;
  typeSignature: bigint | undefined;
  /** Absolute offset of a type unit's type DIE. */
  typeOffset: number | undefined;
  abbrevs: Map<number, Abbrev> | undefined;
  root: UnitRoot | undefined;
}

/** Attributes of a unit's root DIE that other attributes are resolved against. */
export interface UnitRoot {
  die: Die;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number | undefined;
  loclistsBase: number | undefined;
  /** The base address for location and range lists (DW_AT_low_pc of the unit, or 0). */
  baseAddress: bigint;
  stmtList: number | undefined;
  compDir: string | undefined;
  name: string | undefined;
}

export interface Die {
  offset: number;
  unit: Unit;
  tag: number;
  hasChildren: boolean;
  attrs: Attr[];
  /** Absolute offset just past the attributes: the first child, or the next sibling. */
  end: number;
}

export class DwarfContext {
  readonly elf: ElfFile;
  readonly sec: DwarfSections;
  readonly units: Unit[] = [];
  private readonly typesBase: number;
  private readonly abbrevTables = new Map<string, Map<number, Abbrev>>();
  private readonly dies = new Map<number, Die>();
  private readonly childLists = new Map<number, Die[]>();
  private typeUnits: Map<bigint, Unit> | undefined;

  constructor(elf: ElfFile, info: Uint8Array) {
    this.elf = elf;
    const get = (n: string): Uint8Array | undefined => {
      const d = elf.sectionData(n);
      return d && d.length > 0 ? d : undefined;
    };
    this.sec = {
      info,
      types: get(".debug_types"),
      abbrev: get(".debug_abbrev") ?? new Uint8Array(),
      str: get(".debug_str"),
      lineStr: get(".debug_line_str"),
      strOffsets: get(".debug_str_offsets"),
      addr: get(".debug_addr"),
      rnglists: get(".debug_rnglists"),
      ranges: get(".debug_ranges"),
      loclists: get(".debug_loclists"),
      loc: get(".debug_loc"),
      line: get(".debug_line"),
      aranges: get(".debug_aranges"),
    };
    this.typesBase = info.length;
    this.readUnitHeaders(info, 0, false);
    if (this.sec.types) this.readUnitHeaders(this.sec.types, this.typesBase, true);
  }

  private readUnitHeaders(sec: Uint8Array, secBase: number, isTypes: boolean): void {
    const r = new ByteReader(sec);
    while (r.pos + 11 <= sec.length) {
      const start = r.pos;
      let len = r.u32();
      let is64 = false;
      if (len === 0xffffffff) {
        is64 = true;
        len = r.u64n();
      } else if (len >= 0xfffffff0) {
        throw new DebugFormatError(`reserved unit length 0x${len.toString(16)} at ${start}`);
      }
      const end = r.pos + len;
      if (end > sec.length) throw new DebugFormatError(`unit at ${start} runs past the end of its section`);
      const version = r.u16();
      if (version < 2 || version > 5) throw new DebugFormatError(`unsupported DWARF version ${version} (unit at ${start})`);
      let unitType: number = isTypes ? DW_UT.type : DW_UT.compile;
      let addrSize: number;
      let abbrevOffset: number;
      let typeSignature: bigint | undefined;
      let typeOffset: number | undefined;
      if (version >= 5) {
        unitType = r.u8();
        addrSize = r.u8();
        abbrevOffset = r.offset(is64);
        if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) r.u64();
        if (unitType === DW_UT.type || unitType === DW_UT.split_type) {
          typeSignature = r.u64();
          typeOffset = secBase + start + r.offset(is64);
        }
      } else {
        abbrevOffset = r.offset(is64);
        addrSize = r.u8();
        if (isTypes) {
          typeSignature = r.u64();
          typeOffset = secBase + start + r.offset(is64);
        }
      }
      this.units.push({
        sec, secBase, offset: secBase + start, end: secBase + end, version, unitType, addrSize, is64,
        abbrevOffset, dieOffset: secBase + r.pos, typeSignature, typeOffset, abbrevs: undefined, root: undefined,
      });
      r.pos = end;
    }
  }

  /** The unit containing an absolute DIE offset. */
  unitAt(offset: number): Unit {
    const us = this.units;
    let lo = 0;
    let hi = us.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = us[mid]!;
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    throw new DebugFormatError(`no unit contains DIE offset 0x${offset.toString(16)}`);
  }

  /** Compile and partial units (not type units, not skeletons). */
  codeUnits(): Unit[] {
    return this.units.filter((u) => u.unitType === DW_UT.compile || u.unitType === DW_UT.partial);
  }

  abbrevsOf(u: Unit): Map<number, Abbrev> {
    if (u.abbrevs) return u.abbrevs;
    const key = `${u.abbrevOffset}:${u.addrSize}:${u.is64 ? 1 : 0}:${u.version}`;
    let table = this.abbrevTables.get(key);
    if (!table) {
      table = parseAbbrevs(this.sec.abbrev, u.abbrevOffset, u);
      this.abbrevTables.set(key, table);
    }
    u.abbrevs = table;
    return table;
  }

  /** The DIE at an absolute offset (cached). */
  die(offset: number): Die {
    const cached = this.dies.get(offset);
    if (cached) return cached;
    const u = this.unitAt(offset);
    const r = new ByteReader(u.sec, offset - u.secBase);
    const code = r.uleb();
    if (code === 0) throw new DebugFormatError(`null entry at DIE offset 0x${offset.toString(16)}`);
    const ab = this.abbrevsOf(u).get(code);
    if (!ab) throw new DebugFormatError(`unknown abbreviation code ${code} at 0x${offset.toString(16)}`);
    const attrs: Attr[] = [];
    for (let i = 0; i < ab.ats.length; i++) {
      const { form, val } = readForm(r, ab.forms[i]!, u, ab.consts[i]!);
      attrs.push({ at: ab.ats[i]!, form, val });
    }
    const die: Die = { offset, unit: u, tag: ab.tag, hasChildren: ab.hasChildren, attrs, end: u.secBase + r.pos };
    this.dies.set(offset, die);
    return die;
  }

  /** The direct children of a DIE (cached). */
  children(die: Die): Die[] {
    if (!die.hasChildren) return [];
    const cached = this.childLists.get(die.offset);
    if (cached) return cached;
    const out: Die[] = [];
    const u = die.unit;
    let pos = die.end;
    while (pos < u.end) {
      const r = new ByteReader(u.sec, pos - u.secBase);
      if (r.uleb() === 0) break;
      const child = this.die(pos);
      out.push(child);
      pos = this.nextSibling(child);
    }
    this.childLists.set(die.offset, out);
    return out;
  }

  /** Offset of the DIE after `die` and its subtree. */
  nextSibling(die: Die): number {
    if (!die.hasChildren) return die.end;
    const sib = this.attr(die, DW_AT.sibling);
    if (sib && typeof sib.val === "number" && sib.val > die.offset) return sib.val;
    return this.skipChildren(die.unit, die.end);
  }

  /** Skips a run of sibling DIEs and their subtrees up to and including the closing null entry. */
  private skipChildren(u: Unit, start: number): number {
    const abbrevs = this.abbrevsOf(u);
    const r = new ByteReader(u.sec, start - u.secBase);
    const limit = u.end - u.secBase;
    let depth = 1;
    while (depth > 0 && r.pos < limit) {
      const code = r.uleb();
      if (code === 0) {
        depth--;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) throw new DebugFormatError(`unknown abbreviation code ${code} in unit at 0x${u.offset.toString(16)}`);
      const sib = this.skipAttrs(r, ab, u);
      if (ab.hasChildren) {
        if (sib !== undefined && sib - u.secBase > r.pos) r.pos = sib - u.secBase;
        else depth++;
      }
    }
    return u.secBase + r.pos;
  }

  /** Skips a DIE's attribute values; returns its DW_AT_sibling target if it has one. */
  skipAttrs(r: ByteReader, ab: Abbrev, u: Unit): number | undefined {
    if (ab.fixedSize >= 0 && ab.siblingIndex < 0) {
      r.pos += ab.fixedSize;
      return undefined;
    }
    let sib: number | undefined;
    for (let i = 0; i < ab.forms.length; i++) {
      if (i === ab.siblingIndex) {
        const v = readForm(r, ab.forms[i]!, u, ab.consts[i]!).val;
        if (typeof v === "number") sib = v;
      } else {
        skipForm(r, ab.forms[i]!, u);
      }
    }
    return sib;
  }

  // ---- attributes --------------------------------------------------------------------

  attr(die: Die, at: number): Attr | undefined {
    for (const a of die.attrs) if (a.at === at) return a;
    return undefined;
  }

  has(die: Die, at: number): boolean {
    return this.attr(die, at) !== undefined;
  }

  flag(die: Die, at: number): boolean {
    const a = this.attr(die, at);
    return a !== undefined && a.val !== 0;
  }

  /** A string-class attribute's text. */
  str(die: Die, at: number): string | undefined {
    const a = this.attr(die, at);
    return a ? this.attrString(die.unit, a) : undefined;
  }

  attrString(u: Unit, a: Attr): string | undefined {
    const v = a.val;
    switch (a.form) {
      case DW_FORM.string: return v as string;
      case DW_FORM.strp: return this.sec.str ? cstrAt(this.sec.str, v as number) : undefined;
      case DW_FORM.line_strp: return this.sec.lineStr ? cstrAt(this.sec.lineStr, v as number) : undefined;
      case DW_FORM.strx: case DW_FORM.strx1: case DW_FORM.strx2: case DW_FORM.strx3: case DW_FORM.strx4:
      case DW_FORM.GNU_str_index:
        return this.strx(u, v as number);
      default: return undefined; // strp_sup / GNU_strp_alt live in a supplementary file
    }
  }

  strx(u: Unit, index: number): string | undefined {
    const so = this.sec.strOffsets;
    if (!so || !this.sec.str) return undefined;
    const base = this.root(u).strOffsetsBase;
    const size = u.is64 ? 8 : 4;
    const r = new ByteReader(so, base + index * size);
    return cstrAt(this.sec.str, r.offset(u.is64));
  }

  /** The address at `index` of the unit's .debug_addr table. */
  addrx(u: Unit, index: number): bigint {
    const a = this.sec.addr;
    if (!a) throw new DebugFormatError("DW_FORM_addrx without a .debug_addr section");
    return new ByteReader(a, this.root(u).addrBase + index * u.addrSize).uSized(u.addrSize);
  }

  /** An address-class attribute (DW_FORM_addr or addrx*). */
  addr(die: Die, at: number): bigint | undefined {
    const a = this.attr(die, at);
    return a ? this.attrAddress(die.unit, a) : undefined;
  }

  attrAddress(u: Unit, a: Attr): bigint | undefined {
    switch (a.form) {
      case DW_FORM.addr: return a.val as bigint;
      case DW_FORM.addrx: case DW_FORM.addrx1: case DW_FORM.addrx2: case DW_FORM.addrx3: case DW_FORM.addrx4:
      case DW_FORM.GNU_addr_index:
        return this.addrx(u, a.val as number);
      default: return undefined;
    }
  }

  /** A constant-class attribute, unsigned (data1/2/4/8, udata; sdata as its value). */
  udata(die: Die, at: number): bigint | undefined {
    const a = this.attr(die, at);
    if (!a) return undefined;
    return constantOf(a, false);
  }

  /** A constant-class attribute, with data1/2/4/8 sign-extended. */
  sdata(die: Die, at: number): bigint | undefined {
    const a = this.attr(die, at);
    if (!a) return undefined;
    return constantOf(a, true);
  }

  num(die: Die, at: number): number | undefined {
    const v = this.udata(die, at);
    return v === undefined ? undefined : Number(v);
  }

  /** A reference attribute as an absolute DIE offset (type-unit signatures resolved). */
  ref(die: Die, at: number): number | undefined {
    const a = this.attr(die, at);
    return a ? this.attrRef(a) : undefined;
  }

  attrRef(a: Attr): number | undefined {
    switch (a.form) {
      case DW_FORM.ref1: case DW_FORM.ref2: case DW_FORM.ref4: case DW_FORM.ref8: case DW_FORM.ref_udata:
      case DW_FORM.ref_addr:
        return a.val as number;
      case DW_FORM.ref_sig8: {
        const tu = this.typeUnit(a.val as bigint);
        return tu?.typeOffset;
      }
      default: return undefined; // supplementary-file references
    }
  }

  private typeUnit(sig: bigint): Unit | undefined {
    if (!this.typeUnits) {
      this.typeUnits = new Map();
      for (const u of this.units) if (u.typeSignature !== undefined) this.typeUnits.set(u.typeSignature, u);
    }
    return this.typeUnits.get(sig);
  }

  /** A DIE's name, following DW_AT_abstract_origin / DW_AT_specification when it has none. */
  nameOf(die: Die): string | undefined {
    let d: Die | undefined = die;
    for (let i = 0; d && i < 8; i++) {
      const n = this.str(d, DW_AT.name);
      if (n !== undefined) return n;
      const o: number | undefined = this.ref(d, DW_AT.abstract_origin) ?? this.ref(d, DW_AT.specification);
      d = o === undefined ? undefined : this.die(o);
    }
    return undefined;
  }

  /** An attribute of a DIE or, failing that, of its abstract origin / specification chain. */
  inherited(die: Die, at: number): Die | undefined {
    let d: Die | undefined = die;
    for (let i = 0; d && i < 8; i++) {
      if (this.has(d, at)) return d;
      const o: number | undefined = this.ref(d, DW_AT.abstract_origin) ?? this.ref(d, DW_AT.specification);
      d = o === undefined ? undefined : this.die(o);
    }
    return undefined;
  }

  // ---- unit roots ----------------------------------------------------------------------

  root(u: Unit): UnitRoot {
    if (u.root) return u.root;
    const die = this.die(u.dieOffset);
    const get = (at: number): number | undefined => {
      const a = this.attr(die, at);
      return a && typeof a.val === "number" ? a.val : a && typeof a.val === "bigint" ? Number(a.val) : undefined;
    };
    const isV5 = u.version >= 5;
    const root: UnitRoot = {
      die,
      strOffsetsBase: get(DW_AT.str_offsets_base) ?? (isV5 ? (u.is64 ? 16 : 8) : 0),
      addrBase: get(DW_AT.addr_base) ?? get(DW_AT.GNU_addr_base) ?? (isV5 ? (u.is64 ? 16 : 8) : 0),
      rnglistsBase: get(DW_AT.rnglists_base),
      loclistsBase: get(DW_AT.loclists_base),
      baseAddress: 0n,
      stmtList: get(DW_AT.stmt_list),
      compDir: undefined,
      name: undefined,
    };
    u.root = root; // set before resolving: addrx/strx below need the bases
    root.baseAddress = this.addr(die, DW_AT.low_pc) ?? 0n;
    root.compDir = this.str(die, DW_AT.comp_dir);
    root.name = this.str(die, DW_AT.name);
    return root;
  }
}

/** A constant-class attribute value as a bigint; fixed-size data forms optionally sign-extended. */
export function constantOf(a: Attr, signed: boolean): bigint | undefined {
  const v = a.val;
  switch (a.form) {
    case DW_FORM.data1: return signed ? BigInt.asIntN(8, BigInt(v as number)) : BigInt(v as number);
    case DW_FORM.data2: return signed ? BigInt.asIntN(16, BigInt(v as number)) : BigInt(v as number);
    case DW_FORM.data4: return signed ? BigInt.asIntN(32, BigInt(v as number)) : BigInt(v as number);
    case DW_FORM.data8: return signed ? BigInt.asIntN(64, v as bigint) : (v as bigint);
    case DW_FORM.sdata: case DW_FORM.udata: case DW_FORM.implicit_const: return v as bigint;
    case DW_FORM.flag: case DW_FORM.flag_present: return BigInt(v as number);
    case DW_FORM.data16: {
      const b = v as Uint8Array;
      let x = 0n;
      for (let i = 15; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
      return signed ? BigInt.asIntN(128, x) : x;
    }
    default: return undefined;
  }
}

function parseAbbrevs(data: Uint8Array, offset: number, u: UnitShape): Map<number, Abbrev> {
  const table = new Map<number, Abbrev>();
  const r = new ByteReader(data, offset);
  while (r.pos < data.length) {
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    const ats: number[] = [];
    const forms: number[] = [];
    const consts: bigint[] = [];
    let fixedSize = 0;
    let siblingIndex = -1;
    for (;;) {
      const at = r.uleb();
      const form = r.uleb();
      if (at === 0 && form === 0) break;
      const c = form === DW_FORM.implicit_const ? r.slebBig() : 0n;
      if (at === DW_AT.sibling) siblingIndex = ats.length;
      ats.push(at);
      forms.push(form);
      consts.push(c);
      const n = fixedFormSize(form, u);
      fixedSize = n < 0 || fixedSize < 0 ? -1 : fixedSize + n;
    }
    table.set(code, { code, tag, hasChildren, ats, forms, consts, fixedSize, siblingIndex });
  }
  return table;
}
