// Call frame information (.eh_frame and .debug_frame): CIE/FDE parsing, including the
// 'z' augmentations (R: FDE pointer encoding, P: personality, L: LSDA, S: signal frame)
// and the DW_EH_PE_* pointer encodings, and the CFA program run up to a pc.
// In: an ElfFile and a pc. Out: the CFA rule at that pc, { reg, offset } meaning
// CFA = reg + offset (DWARF register numbers), or undefined when no FDE covers the pc or
// the CFA is given by an expression.

import { ByteReader, DebugFormatError } from "./byte-reader.js";
import type { ElfFile } from "./elf-read.js";

export interface CfaRule {
  reg: number;
  offset: bigint;
}

interface Cie {
  codeAlign: bigint;
  dataAlign: bigint;
  raReg: number;
  fdeEncoding: number;
  hasAugData: boolean;
  addrSize: number;
  instructions: Uint8Array;
}

interface Fde {
  lo: bigint;
  hi: bigint;
  cie: Cie;
  instructions: Uint8Array;
}

interface FrameSection {
  data: Uint8Array;
  /** The section's virtual address (for pc-relative pointers). */
  addr: bigint;
  isEh: boolean;
}

/** The FDEs of a binary's .eh_frame and .debug_frame, sorted by start address. */
export class CfiIndex {
  private readonly fdes: Fde[] = [];
  private readonly textAddr: bigint;

  constructor(elf: ElfFile) {
    this.textAddr = elf.section(".text")?.addr ?? 0n;
    const eh = elf.section(".eh_frame");
    if (eh) this.parse({ data: elf.sectionBytes(eh), addr: eh.addr, isEh: true });
    const dbg = elf.section(".debug_frame") ?? elf.section(".zdebug_frame");
    if (dbg) this.parse({ data: elf.sectionBytes(dbg), addr: 0n, isEh: false });
    this.fdes.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  }

  get size(): number {
    return this.fdes.length;
  }

  /** The FDE covering pc (the last one starting at or before it that also ends after it). */
  private find(pc: bigint): Fde | undefined {
    let lo = 0;
    let hi = this.fdes.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.fdes[mid]!.lo <= pc) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const f = this.fdes[i]!;
      if (pc >= f.lo && pc < f.hi) return f;
    }
    return undefined;
  }

  cfaAt(pc: bigint): CfaRule | undefined {
    const fde = this.find(pc);
    if (!fde) return undefined;
    try {
      const rows = runCfa(fde, pc);
      return rows[rows.length - 1]?.cfa;
    } catch (e) {
      if (e instanceof DebugFormatError) return undefined;
      throw e;
    }
  }

  /** The CFA table of the FDE covering `pc` (one row per address where the rule changes). */
  table(pc: bigint): CfaRow[] | undefined {
    const fde = this.find(pc);
    if (!fde) return undefined;
    try {
      return runCfa(fde);
    } catch (e) {
      if (e instanceof DebugFormatError) return undefined;
      throw e;
    }
  }

  /** The address ranges of all FDEs (for tests and diagnostics). */
  ranges(): [bigint, bigint][] {
    return this.fdes.map((f) => [f.lo, f.hi]);
  }

  private parse(s: FrameSection): void {
    const cies = new Map<number, Cie>();
    const r = new ByteReader(s.data);
    while (r.pos + 4 <= s.data.length) {
      const start = r.pos;
      let len = r.u32();
      if (len === 0) {
        if (s.isEh) break; // .eh_frame terminator
        continue;
      }
      let is64 = false;
      if (len === 0xffffffff) {
        is64 = true;
        len = r.u64n();
      }
      const bodyStart = r.pos;
      const end = bodyStart + len;
      if (end > s.data.length) throw new DebugFormatError(`CFI entry at ${start} runs past the end of its section`);
      const idPos = r.pos;
      const id = is64 ? r.u64() : BigInt(r.u32());
      const isCie = s.isEh ? id === 0n : id === (is64 ? 0xffffffffffffffffn : 0xffffffffn);
      if (isCie) {
        cies.set(start, parseCie(r, end, s));
      } else {
        const ciePos = s.isEh ? idPos - Number(id) : Number(id);
        let cie = cies.get(ciePos);
        if (!cie) {
          const cr = new ByteReader(s.data, ciePos);
          let clen = cr.u32();
          if (clen === 0xffffffff) clen = cr.u64n();
          const cend = cr.pos + clen;
          cr.pos += clen === 0 ? 0 : is64 ? 8 : 4;
          cie = parseCie(cr, cend, s);
          cies.set(ciePos, cie);
        }
        const enc = s.isEh ? cie.fdeEncoding : 0;
        const lo = readEncoded(r, enc, s, cie.addrSize, this.textAddr);
        const range = readEncoded(r, enc & 0x0f, s, cie.addrSize, this.textAddr);
        if (cie.hasAugData) r.pos += r.uleb();
        if (lo !== undefined && range !== undefined && range > 0n) {
          this.fdes.push({ lo, hi: lo + range, cie, instructions: s.data.subarray(r.pos, end) });
        }
      }
      r.pos = end;
    }
  }
}

function parseCie(r: ByteReader, end: number, s: FrameSection): Cie {
  const version = r.u8();
  const aug = r.cstr();
  let addrSize = 8;
  if (!s.isEh && version >= 4) {
    addrSize = r.u8();
    r.u8(); // segment_selector_size
  }
  if (aug.includes("eh")) r.pos += addrSize; // old GNU "eh" augmentation: a pointer
  const codeAlign = r.ulebBig();
  const dataAlign = r.slebBig();
  const raReg = version === 1 ? r.u8() : r.uleb();
  let fdeEncoding = 0;
  let hasAugData = false;
  if (aug.startsWith("z")) {
    hasAugData = true;
    const augLen = r.uleb();
    const augEnd = r.pos + augLen;
    for (const ch of aug.slice(1)) {
      if (ch === "R") fdeEncoding = r.u8();
      else if (ch === "L") r.u8();
      else if (ch === "P") {
        const penc = r.u8();
        readEncoded(r, penc, s, addrSize, 0n);
      } else if (ch === "S" || ch === "B" || ch === "G") {
        // signal frame / AArch64 BTI / MTE: no data
      } else {
        break; // unknown: the length lets us skip the rest
      }
    }
    r.pos = augEnd;
  }
  return { codeAlign, dataAlign, raReg, fdeEncoding, hasAugData, addrSize, instructions: s.data.subarray(r.pos, end) };
}

/** Reads a DW_EH_PE_* encoded pointer (application pcrel/textrel supported; indirect not). */
function readEncoded(r: ByteReader, enc: number, s: FrameSection, addrSize: number, textAddr: bigint): bigint | undefined {
  if (enc === 0xff) return undefined; // DW_EH_PE_omit
  const fieldAddr = s.addr + BigInt(r.pos);
  let v: bigint;
  switch (enc & 0x0f) {
    case 0x00: v = r.uSized(addrSize); break; // absptr
    case 0x01: v = r.ulebBig(); break;
    case 0x02: v = BigInt(r.u16()); break;
    case 0x03: v = BigInt(r.u32()); break;
    case 0x04: v = r.u64(); break;
    case 0x09: v = r.slebBig(); break;
    case 0x0a: v = BigInt(r.i16()); break;
    case 0x0b: v = BigInt(r.i32()); break;
    case 0x0c: v = r.i64(); break;
    default: throw new DebugFormatError(`unsupported pointer encoding 0x${enc.toString(16)}`);
  }
  switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += fieldAddr; break; // pcrel
    case 0x20: v += textAddr; break; // textrel
    default: return undefined; // datarel/funcrel/aligned: not used for FDE addresses on x86-64
  }
  if (enc & 0x80) return undefined; // indirect
  return BigInt.asUintN(addrSize * 8, v);
}

/** "none": not register + offset (a DWARF expression, or no rule before the CIE gives one). */
type CfaState = { reg: number; offset: bigint } | "none";

export interface CfaRow {
  /** First address the rule holds for (up to the next row's). */
  loc: bigint;
  /** undefined: the CFA is computed by an expression (or the CFI never defines it). */
  cfa: CfaRule | undefined;
}

/**
 * Runs the CIE's initial instructions and the FDE's instructions; returns the CFA rule of
 * each row, stopping after the row that covers `stopPc` when given.
 */
function runCfa(fde: Fde, stopPc?: bigint): CfaRow[] {
  const cie = fde.cie;
  let cfa: CfaState = "none";
  const stack: CfaState[] = [];
  const rows: CfaRow[] = [];
  let loc = fde.lo;
  const snapshot = (): CfaRule | undefined => (cfa === "none" ? undefined : { reg: cfa.reg, offset: cfa.offset });
  /** Starts a new row at `to`; false when the rows so far already cover stopPc. */
  const advanceTo = (to: bigint): boolean => {
    if (to !== loc) rows.push({ loc, cfa: snapshot() });
    loc = to;
    return stopPc === undefined || loc <= stopPc;
  };
  const run = (code: Uint8Array): boolean => {
    const r = new ByteReader(code);
    while (r.pos < code.length) {
      const op = r.u8();
      const hi2 = op & 0xc0;
      const low = op & 0x3f;
      if (hi2 === 0x40) {
        if (!advanceTo(loc + BigInt(low) * cie.codeAlign)) return false;
        continue;
      }
      if (hi2 === 0x80) {
        r.uleb();
        continue;
      }
      if (hi2 === 0xc0) continue; // restore
      switch (op) {
        case 0x00: break; // nop
        case 0x01: { // set_loc (its pc-relative form is read as absolute: compilers do not emit it)
          const s: FrameSection = { data: code, addr: 0n, isEh: false };
          if (!advanceTo(readEncoded(r, cie.fdeEncoding & 0x0f, s, cie.addrSize, 0n) ?? loc)) return false;
          break;
        }
        case 0x02: if (!advanceTo(loc + BigInt(r.u8()) * cie.codeAlign)) return false; break;
        case 0x03: if (!advanceTo(loc + BigInt(r.u16()) * cie.codeAlign)) return false; break;
        case 0x04: if (!advanceTo(loc + BigInt(r.u32()) * cie.codeAlign)) return false; break;
        case 0x05: r.uleb(); r.uleb(); break; // offset_extended
        case 0x06: case 0x07: case 0x08: r.uleb(); break; // restore_extended, undefined, same_value
        case 0x09: r.uleb(); r.uleb(); break; // register
        case 0x0a: stack.push(cfa); break; // remember_state (the CFA rule is part of the state)
        case 0x0b: cfa = stack.pop() ?? cfa; break; // restore_state
        case 0x0c: cfa = { reg: r.uleb(), offset: r.ulebBig() }; break; // def_cfa
        case 0x0d: { // def_cfa_register
          const reg = r.uleb();
          cfa = { reg, offset: cfa === "none" ? 0n : cfa.offset };
          break;
        }
        case 0x0e: { // def_cfa_offset
          const off = r.ulebBig();
          if (cfa !== "none") cfa = { reg: cfa.reg, offset: off };
          break;
        }
        case 0x0f: r.pos += r.uleb(); cfa = "none"; break; // def_cfa_expression
        case 0x10: r.uleb(); r.pos += r.uleb(); break; // expression
        case 0x11: r.uleb(); r.sleb(); break; // offset_extended_sf
        case 0x12: cfa = { reg: r.uleb(), offset: r.slebBig() * cie.dataAlign }; break; // def_cfa_sf
        case 0x13: { // def_cfa_offset_sf
          const off = r.slebBig() * cie.dataAlign;
          if (cfa !== "none") cfa = { reg: cfa.reg, offset: off };
          break;
        }
        case 0x14: r.uleb(); r.uleb(); break; // val_offset
        case 0x15: r.uleb(); r.sleb(); break; // val_offset_sf
        case 0x16: r.uleb(); r.pos += r.uleb(); break; // val_expression
        case 0x2d: break; // AARCH64_negate_ra_state (pointer authentication; the CFA is unchanged)
        case 0x2e: r.uleb(); break; // GNU_args_size
        case 0x2f: r.uleb(); r.uleb(); break; // GNU_negative_offset_extended
        default: throw new DebugFormatError(`unknown CFA instruction 0x${op.toString(16)}`);
      }
    }
    return true;
  };
  run(cie.instructions);
  if (run(fde.instructions)) rows.push({ loc, cfa: snapshot() });
  return rows;
}
