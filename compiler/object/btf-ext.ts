// The .BTF.ext wire encoding: func_info, line_info and CO-RE relocation records,
// grouped per ELF section (libbpf: struct btf_ext_header / btf_ext_info_sec).
// In: records per program section, with strings as text; the .BTF string table they go
// into (section names, file names, line texts and access strings live in .BTF's strings).
// Out: the bytes of the .BTF.ext section.
// insn_off in every record is a byte offset from the start of the ELF section; libbpf
// divides by 8 when it splits sections into programs (libbpf.c, adjust_prog_btf_ext_info).

import type { StringTable } from "./strtab.js";

export interface FuncInfoRec { insnOff: number; typeId: number }
export interface LineInfoRec { insnOff: number; fileName: string; lineText: string; line: number; col: number }
export interface CoreReloRec { insnOff: number; typeId: number; access: string; kind: number }

export interface ExtSection<R> { section: string; records: R[] }

export interface BtfExtInput {
  funcInfo: ExtSection<FuncInfoRec>[];
  lineInfo: ExtSection<LineInfoRec>[];
  coreRelo: ExtSection<CoreReloRec>[];
}

const BTF_MAGIC = 0xeb9f;
const HDR_LEN = 32; // with core_relo_off/len

/** line_col packs the line in the upper 22 bits and the column in the lower 10. */
export function lineCol(line: number, col: number): number {
  const l = Math.min(Math.max(line, 0), (1 << 22) - 1);
  const c = Math.min(Math.max(col, 0), (1 << 10) - 1);
  return (l << 10 | c) >>> 0;
}

/** One info block: u32 rec_size, then per section {sec_name_off, num_info, records}. */
function block<R>(secs: ExtSection<R>[], recSize: number, rec: (r: R) => number[], strings: StringTable): number[] {
  const nonEmpty = secs.filter((s) => s.records.length > 0); // libbpf rejects num_info == 0
  if (nonEmpty.length === 0) return [];
  const words = [recSize];
  for (const s of nonEmpty) {
    words.push(strings.add(s.section), s.records.length);
    for (const r of s.records) {
      const w = rec(r);
      if (w.length * 4 !== recSize) throw new Error("BTF.ext: record size mismatch");
      words.push(...w);
    }
  }
  return words;
}

export function encodeBtfExt(input: BtfExtInput, strings: StringTable): Uint8Array {
  const func = block(input.funcInfo, 8, (r) => [r.insnOff, r.typeId], strings);
  const line = block(input.lineInfo, 16, (r) => [
    r.insnOff, strings.add(r.fileName), strings.add(r.lineText), lineCol(r.line, r.col),
  ], strings);
  const core = block(input.coreRelo, 16, (r) => [r.insnOff, r.typeId, strings.add(r.access), r.kind], strings);

  const words = [...func, ...line, ...core];
  const out = new Uint8Array(HDR_LEN + words.length * 4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BTF_MAGIC, true);
  dv.setUint8(2, 1); // version
  dv.setUint8(3, 0); // flags
  dv.setUint32(4, HDR_LEN, true);
  // Offsets are relative to the end of the header.
  dv.setUint32(8, 0, true);
  dv.setUint32(12, func.length * 4, true);
  dv.setUint32(16, func.length * 4, true);
  dv.setUint32(20, line.length * 4, true);
  dv.setUint32(24, (func.length + line.length) * 4, true);
  dv.setUint32(28, core.length * 4, true);
  words.forEach((w, i) => dv.setUint32(HDR_LEN + i * 4, w >>> 0, true));
  return out;
}
