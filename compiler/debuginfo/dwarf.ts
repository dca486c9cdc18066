// The DWARF reader's public API, used to bind uprobe handler parameters to variables of
// the probed user function (CONTRACT §3).
// In: the probed binary's bytes (optionally a separate debug-info file). Out: functions
// by name with their parameters, lexical scopes and locals (types as CType, locations as
// LocExpr, per pc range for location lists), the variables visible at a pc, line →
// address lookup, and the CFA rule at a pc from .eh_frame/.debug_frame.
// Parsing is lazy: unit headers up front; then only the unit holding the function (found
// through the symbol table), its DIEs on demand, and the line programs that mention a file.

import { DebugFormatError } from "./byte-reader.js";
import { CfiIndex, type CfaRule } from "./cfi.js";
import { abiEntryLocations } from "./dwarf-abi.js";
import { DW_AT, DW_TAG } from "./dwarf-consts.js";
import { ROW_END_SEQUENCE, ROW_PROLOGUE_END, ROW_STMT, fileMatches, readLineTable, type LineRows, type LineTable } from "./dwarf-line.js";
import { dieRanges, isLocList, locationList, type Range } from "./dwarf-lists.js";
import { classifyExpr, type ExprShape, type LocExpr } from "./dwarf-loc.js";
import { TypeConverter, cTypeName } from "./dwarf-types.js";
import { FunctionIndex, type IndexedSub } from "./dwarf-index.js";
import { DwarfContext, constantOf, type Die, type Unit } from "./dwarf-units.js";
import { ElfFile } from "./elf-read.js";
import type { Target } from "../target/index.js";
import type { CType } from "../types/ctype.js";

export type { LocExpr } from "./dwarf-loc.js";
export type { CfaRule } from "./cfi.js";
export type { Range } from "./dwarf-lists.js";
export { DebugFormatError } from "./byte-reader.js";
export { ElfFile, readElf, debugFileCandidates } from "./elf-read.js";

export interface VarLocation {
  /** The pc range [lo, hi) the location holds for; absent: everywhere in the variable's scope. */
  lo?: bigint;
  hi?: bigint;
  expr: LocExpr;
}

export interface DwarfVariable {
  name: string;
  type: CType;
  /** The declared C type as written ("struct node *", "u32_t"), for messages. */
  cType: string;
  /** One entry without a range for a single location; one per list entry for a location list; empty when optimized out. */
  locations: VarLocation[];
}

export interface DwarfScope {
  ranges: Range[];
  vars: DwarfVariable[];
  scopes: DwarfScope[];
}

export interface DwarfFunction {
  name: string;
  /** Entry address (DW_AT_low_pc, or the start of the first range). */
  lowPc: bigint;
  /** End of the range that starts at lowPc. */
  highPc: bigint;
  /** All address ranges (more than one when the compiler split the function, e.g. foo.cold). */
  ranges: Range[];
  /**
   * DW_AT_frame_base, the base of `fbreg` locations. As a frame base, `reg` means the
   * register's value (clang: rbp at -O0, rsp at -O2) and `cfa` the CFA (gcc; see cfaAt).
   * Undefined when absent or given as a location list.
   */
  frameBase: LocExpr | undefined;
  params: DwarfVariable[];
  /** One top scope: the function body, holding its own locals and the nested lexical blocks. */
  scopes: DwarfScope[];
  /**
   * Where the target's calling convention puts each parameter at lowPc, from the
   * parameter types alone; see entryLocations, which also weighs the DWARF.
   */
  abiEntry: LocExpr[];
  /** Path of the compile unit's primary source file. */
  compUnit: string | undefined;
  /** Absolute offset of the subprogram DIE (in .debug_info). */
  dieOffset: number;
}

/** Parsed debug information of one binary; query it with the functions below. */
export class DebugInfo {
  readonly elf: ElfFile;
  /** The file the DWARF comes from (the binary itself, or its separate debug file). */
  readonly dwarfElf: ElfFile;
  readonly ctx: DwarfContext;
  readonly index: FunctionIndex;
  readonly types: TypeConverter;
  private cfi: CfiIndex | undefined;
  private readonly lineTables = new Map<Unit, LineTable | undefined>();
  private readonly fnCache = new Map<string, DwarfFunction | undefined>();

  constructor(elf: ElfFile, dwarfElf: ElfFile, info: Uint8Array, readonly target: Target) {
    this.elf = elf;
    this.dwarfElf = dwarfElf;
    this.ctx = new DwarfContext(dwarfElf, info);
    this.index = new FunctionIndex(this.ctx);
    this.types = new TypeConverter(this.ctx, this.index);
  }

  cfiIndex(): CfiIndex {
    if (!this.cfi) {
      this.cfi = new CfiIndex(this.elf);
      if (this.cfi.size === 0 && this.dwarfElf !== this.elf) this.cfi = new CfiIndex(this.dwarfElf);
    }
    return this.cfi;
  }

  lineTable(u: Unit): LineTable | undefined {
    if (!this.lineTables.has(u)) this.lineTables.set(u, readLineTable(this.ctx, u));
    return this.lineTables.get(u);
  }

  cachedFunction(name: string): DwarfFunction | undefined | null {
    return this.fnCache.has(name) ? this.fnCache.get(name) : null;
  }

  cacheFunction(name: string, fn: DwarfFunction | undefined): void {
    this.fnCache.set(name, fn);
  }
}

/**
 * Reads a binary's DWARF. Undefined when it has no .debug_info (the caller then binds
 * parameters by position). Throws DebugFormatError when the bytes are not a 64-bit
 * little-endian ELF file or the DWARF is malformed. `target` is the binary's architecture
 * (its DWARF register numbers and calling convention). `separateDebug` is the binary's
 * separate debug-info file (see debugFileCandidates), if it was stripped into one.
 */
export function readDebugInfo(elf: Uint8Array, target: Target, separateDebug?: Uint8Array): DebugInfo | undefined {
  const main = new ElfFile(elf);
  const dbg = separateDebug ? new ElfFile(separateDebug) : main;
  const info = dbg.sectionData(".debug_info");
  if (!info || info.length === 0) return undefined;
  return new DebugInfo(main, dbg, info, target);
}

/**
 * The out-of-line definition of the function `name` (C name or linkage name). When several
 * units define one (static functions), the one at the symbol table's address for the name
 * wins, else the first found.
 */
export function findFunction(info: DebugInfo, name: string): DwarfFunction | undefined {
  const cached = info.cachedFunction(name);
  if (cached !== null) return cached;
  const fn = lookupFunction(info, name);
  info.cacheFunction(name, fn);
  return fn;
}

function lookupFunction(info: DebugInfo, name: string): DwarfFunction | undefined {
  const ctx = info.ctx;
  const sym = info.elf.symbolsNamed(name).find((s) => (s.type === 2 || s.type === 10) && s.shndx !== 0);
  const entryOf = (s: IndexedSub): bigint | undefined => {
    const r = dieRanges(ctx, ctx.die(s.offset));
    const lo = ctx.addr(ctx.die(s.offset), DW_AT.low_pc);
    return lo ?? r[0]?.[0];
  };
  if (sym) {
    // Fast path: in the unit whose address ranges hold the symbol, the subprogram whose
    // DW_AT_low_pc is the symbol's address (no name index needed).
    const u = unitForAddress(info, sym.value);
    const off = u && info.index.subprogramAt(u, sym.value);
    if (off !== undefined) {
      const die = ctx.die(off);
      const linkHolder = ctx.inherited(die, DW_AT.linkage_name);
      if (ctx.nameOf(die) === name || (linkHolder && ctx.str(linkHolder, DW_AT.linkage_name) === name)) return buildFunction(info, die, name);
    }
  }
  info.index.indexAll();
  const defs = info.index.definitionsNamed(name);
  if (defs.length === 0) return undefined;
  const best = (sym && defs.find((s) => entryOf(s) === sym.value)) || defs[0]!;
  return buildFunction(info, ctx.die(best.offset), name);
}

/** The compile unit whose DW_AT_low_pc/high_pc/ranges cover `addr`. */
function unitForAddress(info: DebugInfo, addr: bigint): Unit | undefined {
  const ctx = info.ctx;
  for (const u of ctx.codeUnits()) {
    const root = ctx.root(u).die;
    let ranges: Range[];
    try {
      ranges = dieRanges(ctx, root);
    } catch (e) {
      if (e instanceof DebugFormatError) continue;
      throw e;
    }
    if (ranges.some(([lo, hi]) => addr >= lo && addr < hi)) return u;
  }
  return undefined;
}

/** Names of all functions defined (with code) in the binary's DWARF, sorted. */
export function functionNames(info: DebugInfo): string[] {
  info.index.indexAll();
  return info.index.definedNames();
}

function shapeOf(info: DebugInfo, u: Unit): ExprShape {
  return { addrSize: u.addrSize, is64: u.is64, regNames: info.target.dwarfNames };
}

function buildFunction(info: DebugInfo, die: Die, name: string): DwarfFunction {
  const ctx = info.ctx;
  const u = die.unit;
  const ranges = dieRanges(ctx, die);
  const low = ctx.addr(die, DW_AT.low_pc) ?? ranges[0]?.[0] ?? 0n;
  const first = ranges.find(([lo]) => lo === low) ?? ranges[0] ?? [low, low];
  const fbAttr = ctx.attr(die, DW_AT.frame_base);
  const frameBase = fbAttr && fbAttr.val instanceof Uint8Array && !isLocList(u, fbAttr)
    ? classifyExpr(fbAttr.val, shapeOf(info, u), (i) => ctx.addrx(u, i))
    : undefined;

  // Parameters: an out-of-line instance of an inlined function names its abstract
  // instance, which lists every parameter in order; the concrete DIEs add locations.
  const concreteParams = ctx.children(die).filter((c) => c.tag === DW_TAG.formal_parameter);
  const originOff = ctx.ref(die, DW_AT.abstract_origin);
  let paramDies: { die: Die; abstractOnly: boolean }[];
  if (originOff !== undefined) {
    const abstractParams = ctx.children(ctx.die(originOff)).filter((c) => c.tag === DW_TAG.formal_parameter);
    const used = new Set<Die>();
    paramDies = abstractParams.map((ap) => {
      const cp = concreteParams.find((c) => ctx.ref(c, DW_AT.abstract_origin) === ap.offset);
      if (cp) used.add(cp);
      return { die: cp ?? ap, abstractOnly: cp === undefined };
    });
    for (const cp of concreteParams) if (!used.has(cp)) paramDies.push({ die: cp, abstractOnly: false });
  } else {
    paramDies = concreteParams.map((p) => ({ die: p, abstractOnly: false }));
  }
  const params = paramDies.map((p) => makeVariable(info, p.die, p.abstractOnly));
  const typeOf = (d: Die): number | undefined => {
    const holder = ctx.inherited(d, DW_AT.type);
    return holder ? ctx.ref(holder, DW_AT.type) : undefined;
  };
  const abiEntry = abiEntryLocations(ctx, info.target, typeOf(die), paramDies.map((p) => typeOf(p.die)));

  const top = buildScope(info, die, ranges);
  return {
    name, lowPc: low, highPc: first[1], ranges, frameBase, params, scopes: [top], abiEntry,
    compUnit: ctx.root(u).name, dieOffset: die.offset,
  };
}

function buildScope(info: DebugInfo, die: Die, ranges: Range[]): DwarfScope {
  const ctx = info.ctx;
  const scope: DwarfScope = { ranges, vars: [], scopes: [] };
  for (const c of ctx.children(die)) {
    if (c.tag === DW_TAG.variable) {
      if (ctx.flag(c, DW_AT.declaration)) continue; // `extern int x;` inside a block
      if (ctx.nameOf(c) === undefined) continue;
      scope.vars.push(makeVariable(info, c, false));
    } else if (c.tag === DW_TAG.lexical_block) {
      scope.scopes.push(buildScope(info, c, dieRanges(ctx, c)));
    }
    // DW_TAG_inlined_subroutine children belong to the inlined callee: not ours.
  }
  return scope;
}

function makeVariable(info: DebugInfo, die: Die, abstractOnly: boolean): DwarfVariable {
  const ctx = info.ctx;
  const u = die.unit;
  const typeHolder = ctx.inherited(die, DW_AT.type);
  const typeOff = typeHolder ? ctx.ref(typeHolder, DW_AT.type) : undefined;
  const type = info.types.convert(typeOff);
  const locations: VarLocation[] = [];
  const loc = abstractOnly ? undefined : ctx.attr(die, DW_AT.location);
  const addrx = (i: number): bigint => ctx.addrx(u, i);
  if (loc) {
    if (isLocList(u, loc)) {
      const defaults: VarLocation[] = [];
      for (const e of locationList(ctx, u, loc)) {
        if (e.expr.length === 0) continue; // an empty expression: optimized out there
        const expr = classifyExpr(e.expr, shapeOf(info, u), addrx);
        if (e.lo === undefined) defaults.push({ expr });
        else locations.push({ lo: e.lo, hi: e.hi!, expr });
      }
      locations.push(...defaults);
    } else if (loc.val instanceof Uint8Array && loc.val.length > 0) {
      locations.push({ expr: classifyExpr(loc.val, shapeOf(info, u), addrx) });
    }
  } else {
    const cvHolder = ctx.inherited(die, DW_AT.const_value);
    if (cvHolder) {
      const a = ctx.attr(cvHolder, DW_AT.const_value)!;
      const signed = type.kind === "int" && type.signed;
      let v = constantOf(a, signed);
      if (v === undefined && a.val instanceof Uint8Array && a.val.length <= 8) {
        v = 0n;
        for (let i = a.val.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(a.val[i]!);
      }
      if (v !== undefined) locations.push({ expr: { kind: "value", value: v } });
    }
  }
  return { name: ctx.nameOf(die) ?? "", type, cType: cTypeName(ctx, typeOff), locations };
}

function covers(ranges: Range[], pc: bigint): boolean {
  return ranges.some(([lo, hi]) => pc >= lo && pc < hi);
}

/**
 * The variables visible at `pc`: locals of the lexical blocks covering it, innermost block
 * first, then the function body's locals, then the parameters. A name shadowed by an inner
 * declaration appears once (the inner one).
 */
export function variablesAt(_info: DebugInfo, fn: DwarfFunction, pc: bigint): DwarfVariable[] {
  const chain: DwarfScope[] = [];
  const walk = (s: DwarfScope): void => {
    chain.push(s);
    for (const c of s.scopes) {
      if (covers(c.ranges, pc)) {
        walk(c);
        return;
      }
    }
  };
  for (const top of fn.scopes) walk(top);
  const out: DwarfVariable[] = [];
  const seen = new Set<string>();
  const add = (v: DwarfVariable): void => {
    if (v.name !== "" && seen.has(v.name)) return;
    seen.add(v.name);
    out.push(v);
  };
  for (let i = chain.length - 1; i >= 0; i--) for (const v of chain[i]!.vars) add(v);
  for (const p of fn.params) add(p);
  return out;
}

/** Where the variable is at `pc`; undefined when it is optimized out there. */
export function locationAt(v: DwarfVariable, pc: bigint): LocExpr | undefined {
  let fallback: LocExpr | undefined;
  for (const l of v.locations) {
    if (l.lo === undefined || l.hi === undefined) fallback ??= l.expr;
    else if (pc >= l.lo && pc < l.hi) return l.expr;
  }
  return fallback;
}

/**
 * Where each parameter is at the function's first instruction (a uprobe on the function's
 * symbol). Unoptimized code describes parameters by their stack homes, which the prologue
 * has not filled yet at that point, so the calling convention decides (fn.abiEntry); but
 * where the DWARF places a parameter in a register at lowPc (optimized code) that wins,
 * and a parameter that optimized code has dropped at lowPc stays undefined (the compiler
 * may have removed it from the calling sequence of a local function).
 */
export function entryLocations(fn: DwarfFunction): (LocExpr | undefined)[] {
  const atEntry = fn.params.map((p) => locationAt(p, fn.lowPc));
  const optimized = atEntry.some((l) => l?.kind === "reg" || l?.kind === "entry_value");
  return fn.params.map((_p, i) => {
    const d = atEntry[i];
    if (d?.kind === "reg" || d?.kind === "value") return d;
    if (d?.kind === "entry_value") return { kind: "reg", reg: d.reg };
    if (d === undefined && optimized) return undefined;
    return fn.abiEntry[i];
  });
}

/**
 * The addresses to probe for `file:line` (file matched by basename, or by trailing path
 * components when it contains '/'): for each run of consecutive line-table rows of that
 * line, the address of its first is_stmt row. An address that is a function's entry (the
 * line is the function's opening line) moves past the prologue, as a debugger's
 * breakpoint does, so that the function's variables are in their home locations.
 */
export function lineAddresses(info: DebugInfo, file: string, line: number): bigint[] {
  const ctx = info.ctx;
  const found = new Set<bigint>();
  let entries: Map<number, number> | undefined;
  for (const u of ctx.codeUnits()) {
    const t = info.lineTable(u);
    if (!t) continue;
    const fileIdx = new Set<number>();
    t.files.forEach((p, i) => {
      if (p !== undefined && fileMatches(p, file)) fileIdx.add(i);
    });
    if (fileIdx.size === 0) continue;
    const rows = t.rows();
    let inRun = false;
    let runHasAddr = false;
    for (let i = 0; i < rows.count; i++) {
      const flags = rows.flags[i]!;
      const match = !(flags & ROW_END_SEQUENCE) && rows.line[i] === line && fileIdx.has(rows.file[i]!);
      if (!match) {
        inRun = false;
        continue;
      }
      if (!inRun) {
        inRun = true;
        runHasAddr = false;
      }
      if (flags & ROW_STMT && !runHasAddr) {
        runHasAddr = true;
        entries ??= functionEntries(info);
        const end = entries.get(rows.addr[i]!);
        found.add(BigInt(end !== undefined ? afterPrologue(info, rows, i, end) : rows.addr[i]!));
      }
    }
  }
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Function entry address → end address, from the symbol table (else from the DWARF). */
function functionEntries(info: DebugInfo): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of info.elf.functionRanges()) if (s.size > 0n) m.set(Number(s.value), Number(s.value + s.size));
  if (m.size === 0) {
    const ctx = info.ctx;
    info.index.indexAll();
    for (const s of info.index.subsByOffset.values()) {
      if (!s.hasCode) continue;
      for (const [lo, hi] of dieRanges(ctx, ctx.die(s.offset))) m.set(Number(lo), Number(hi));
    }
  }
  return m;
}

/**
 * The first address past a function's prologue, given the line-table row at its entry,
 * the way a debugger places a function breakpoint: the first row flagged prologue_end
 * (clang); else, when the CFI shows the function setting up a frame pointer (CFA based
 * on rbp), the first row at or after that point (gcc -O0: after the parameters are
 * stored to their stack homes); else the entry itself (no frame setup to skip).
 */
function afterPrologue(info: DebugInfo, rows: LineRows, entryRow: number, end: number): number {
  const entry = rows.addr[entryRow]!;
  const inFunction = (j: number): boolean => !(rows.flags[j]! & ROW_END_SEQUENCE) && rows.addr[j]! >= entry && rows.addr[j]! < end;
  for (let j = entryRow; j < rows.count && inFunction(j); j++) {
    if (rows.flags[j]! & ROW_PROLOGUE_END) return rows.addr[j]!;
  }
  const table = info.cfiIndex().table(BigInt(entry));
  const setup = table?.find((r) => r.cfa?.reg === 6 && r.loc >= BigInt(entry) && r.loc < BigInt(end));
  if (setup) {
    const at = Number(setup.loc);
    for (let j = entryRow; j < rows.count && inFunction(j); j++) {
      if (rows.addr[j]! >= at) return rows.addr[j]!;
    }
  }
  return entry;
}

/** The first address after `fn`'s prologue (see lineAddresses); its lowPc when there is none to skip. */
export function prologueEnd(info: DebugInfo, fn: DwarfFunction): bigint {
  const t = info.lineTable(info.ctx.unitAt(fn.dieOffset));
  if (!t) return fn.lowPc;
  const rows = t.rows();
  const low = Number(fn.lowPc);
  for (let i = 0; i < rows.count; i++) {
    if (rows.addr[i] === low && !(rows.flags[i]! & ROW_END_SEQUENCE)) return BigInt(afterPrologue(info, rows, i, Number(fn.highPc)));
  }
  return fn.lowPc;
}

const elfCfi = new WeakMap<ElfFile, CfiIndex>();

/**
 * The CFA rule (CFA = reg + offset, DWARF register numbers) at `pc`, from .eh_frame or
 * .debug_frame; undefined outside every FDE or where the CFA is a DWARF expression (PLT).
 * Takes the DebugInfo, or just the ElfFile of a binary without debug info.
 */
export function cfaAt(src: DebugInfo | ElfFile, pc: bigint): CfaRule | undefined {
  if (src instanceof DebugInfo) return src.cfiIndex().cfaAt(pc);
  let idx = elfCfi.get(src);
  if (!idx) {
    idx = new CfiIndex(src);
    elfCfi.set(src, idx);
  }
  return idx.cfaAt(pc);
}

/** Address → file offset, for checking `uprobe/path:symbol+off` attach points. */
export function fileOffsetOf(info: DebugInfo, addr: bigint): number | undefined {
  return info.elf.vaddrToFileOffset(addr);
}
