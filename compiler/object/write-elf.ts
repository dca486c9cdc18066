// Writes a BpfObjectModel as a BPF ELF object that libbpf opens like clang -g output.
// In: the model (object/model.ts). Out: the bytes of an ELF64 EM_BPF relocatable object:
//   <program section>     code of the programs with that section name (AX, align 8)
//   .rel<program section> R_BPF_64_64 against the map symbols of ld_imm64 map loads
//   license               the NUL-terminated license string, symbol _license
//   .maps                 zeroed BTF-defined map definitions, a symbol per map
//   .BTF, .BTF.ext        types, func_info, line_info (TypeScript source), CO-RE relocations
//   .symtab, .strtab
// Programs that share a section name are placed one after another in that section.

import { byteOffsets, encode } from "../bpf/insn.js";
import { BtfBuilder } from "./btf.js";
import { CTypeToBtf } from "./btf-ctype.js";
import { encodeBtf } from "./btf-encode.js";
import { encodeBtfExt, type BtfExtInput, type CoreReloRec, type FuncInfoRec, type LineInfoRec } from "./btf-ext.js";
import { checkModel } from "./check-model.js";
import { EM_BPF, ElfWriter, SHF, SHT, STB, STT, type ElfReloc, type ElfSymbol } from "./elf.js";
import type { BpfObjectModel, ObjectProgram } from "./model.js";
import { addLicenseBtf, addMapsBtf, addProgramFunc } from "./object-btf.js";
import { StringTable } from "./strtab.js";

export const R_BPF_64_64 = 1;

interface PlacedProgram {
  prog: ObjectProgram;
  /** Byte offset of the program in its section. */
  offset: number;
  code: Uint8Array;
  /** Byte offset (in the section) of each instruction index. */
  insnOffs: number[];
}

interface ProgSection { name: string; programs: PlacedProgram[]; size: number }

function placePrograms(programs: readonly ObjectProgram[]): ProgSection[] {
  const secs = new Map<string, ProgSection>();
  for (const prog of programs) {
    let s = secs.get(prog.section);
    if (!s) secs.set(prog.section, (s = { name: prog.section, programs: [], size: 0 }));
    const code = encode(prog.insns);
    const offset = s.size;
    s.programs.push({ prog, offset, code, insnOffs: byteOffsets(prog.insns).map((o) => o + offset) });
    s.size += code.length;
  }
  return [...secs.values()];
}

/** Sorted by instruction, one record per instruction (the last one given wins). */
function lineRecords(p: PlacedProgram, fileName: string, sourceLines: string[]): LineInfoRec[] {
  const byInsn = new Map<number, { line: number; col: number }>();
  for (const l of p.prog.lines) byInsn.set(l.insn, l);
  return [...byInsn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([insn, l]) => ({
      insnOff: p.insnOffs[insn]!, fileName, lineText: sourceLines[l.line - 1] ?? "", line: l.line, col: l.col,
    }));
}

export function writeObject(model: BpfObjectModel): Uint8Array {
  checkModel(model);
  const sections = placePrograms(model.programs);

  // BTF: map types first, then CO-RE root structs, then FUNCs (which may use struct pt_regs).
  const b = new BtfBuilder();
  const conv = new CTypeToBtf(b);
  const mapLayout = addMapsBtf(b, conv, model.maps);
  const coreTypeIds = new Map(model.programs.flatMap((p) => p.coreRelos).map((r) => [r.type, conv.typeId(r.type)]));
  const funcIds = new Map(model.programs.map((p) => [p, addProgramFunc(b, conv, p.name, p.context)]));
  const licenseBytes = addLicenseBtf(b, conv, model.license);
  conv.finish();

  const sourceLines = model.sourceText.split("\n").map((l) => l.replace(/\r$/, ""));
  const ext: BtfExtInput = { funcInfo: [], lineInfo: [], coreRelo: [] };
  for (const s of sections) {
    const func: FuncInfoRec[] = [];
    const line: LineInfoRec[] = [];
    const core: CoreReloRec[] = [];
    for (const p of s.programs) {
      func.push({ insnOff: p.offset, typeId: funcIds.get(p.prog)! });
      line.push(...lineRecords(p, model.sourcePath, sourceLines));
      for (const r of p.prog.coreRelos) {
        core.push({ insnOff: p.insnOffs[r.insn]!, typeId: coreTypeIds.get(r.type)!, access: r.accessPath.join(":"), kind: r.kind });
      }
    }
    ext.funcInfo.push({ section: s.name, records: func });
    ext.lineInfo.push({ section: s.name, records: line });
    ext.coreRelo.push({ section: s.name, records: core });
  }
  const btfStrings = new StringTable();
  const btfExtBytes = encodeBtfExt(ext, btfStrings);
  const btfBytes = encodeBtf(b.types, btfStrings); // after .BTF.ext: its strings live here too

  // ELF.
  const elf = new ElfWriter(EM_BPF);
  const mapsSize = mapLayout.reduce((n, m) => n + m.size, 0);
  const progSecIdx = sections.map((s) => {
    const data = new Uint8Array(s.size);
    for (const p of s.programs) data.set(p.code, p.offset);
    return elf.addSection({ name: s.name, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data, align: 8 });
  });
  const licenseIdx = elf.addSection({ name: "license", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, data: licenseBytes, align: 1 });
  const mapsIdx = mapsSize > 0
    ? elf.addSection({ name: ".maps", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, data: new Uint8Array(mapsSize), align: 8 })
    : 0;
  elf.addSection({ name: ".BTF", type: SHT.PROGBITS, flags: 0, data: btfBytes, align: 4 });
  elf.addSection({ name: ".BTF.ext", type: SHT.PROGBITS, flags: 0, data: btfExtBytes, align: 4 });

  sections.forEach((s, i) => {
    for (const p of s.programs) {
      elf.addSymbol({ name: p.prog.name, section: progSecIdx[i]!, value: p.offset, size: p.code.length, type: STT.FUNC, bind: STB.GLOBAL });
    }
  });
  const mapSyms = new Map<string, ElfSymbol>();
  for (const m of mapLayout) {
    mapSyms.set(m.map.name, elf.addSymbol({ name: m.map.name, section: mapsIdx, value: m.offset, size: m.size, type: STT.OBJECT, bind: STB.GLOBAL }));
  }
  elf.addSymbol({ name: "_license", section: licenseIdx, value: 0, size: licenseBytes.length, type: STT.OBJECT, bind: STB.GLOBAL });

  sections.forEach((s, i) => {
    const relocs: ElfReloc[] = s.programs.flatMap((p) =>
      p.prog.mapRelocs.map((r) => ({ offset: p.insnOffs[r.insn]!, symbol: mapSyms.get(r.map)!, type: R_BPF_64_64 })));
    if (relocs.length > 0) elf.addRelocations(progSecIdx[i]!, relocs.sort((a, c) => a.offset - c.offset));
  });

  return elf.build();
}
