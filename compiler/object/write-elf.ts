// Writes a BpfObjectModel as a BPF ELF object that libbpf opens like clang -g output.
// In: the model (object/model.ts). Out: the bytes of an ELF64 EM_BPF relocatable object:
//   <program section>     code of the programs with that section name (AX, align 8)
//   .text                 the subprograms (static functions), when there are any
//   .rel<code section>    R_BPF_64_64 against map and global symbols (ld_imm64), and
//                         R_BPF_64_32 against subprogram symbols (calls)
//   .rodata .data .bss    load-time settings, initialised and zeroed globals
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
import { localCoreTypes } from "./core-types.js";
import { EM_BPF, ElfWriter, SHF, SHT, STB, STT, type ElfReloc, type ElfSymbol } from "./elf.js";
import type { BpfObjectModel, DataSectionName, ObjectFunction } from "./model.js";
import { addDataBtf, addLicenseBtf, addMapsBtf, addProgramFunc, addSubprogramFunc } from "./object-btf.js";
import { TEXT_SECTION, contextKind, sectionName } from "./sections.js";
import { StringTable } from "./strtab.js";

export const R_BPF_64_64 = 1;
export const R_BPF_64_32 = 10;

interface PlacedFunction {
  fn: ObjectFunction;
  /** Program: a global function; subprogram: a static one. */
  global: boolean;
  funcType: number;
  /** Byte offset of the function in its section. */
  offset: number;
  code: Uint8Array;
  /** Byte offset (in the section) of each instruction index. */
  insnOffs: number[];
}

interface CodeSection { name: string; functions: PlacedFunction[]; size: number }

function placeFunctions(list: { fn: ObjectFunction; section: string; global: boolean; funcType: number }[]): CodeSection[] {
  const secs = new Map<string, CodeSection>();
  for (const { fn, section, global, funcType } of list) {
    let s = secs.get(section);
    if (!s) secs.set(section, (s = { name: section, functions: [], size: 0 }));
    const code = encode(fn.insns);
    const offset = s.size;
    s.functions.push({ fn, global, funcType, offset, code, insnOffs: byteOffsets(fn.insns).map((o) => o + offset) });
    s.size += code.length;
  }
  return [...secs.values()];
}

/** Sorted by instruction, one record per instruction (the last one given wins). */
function lineRecords(p: PlacedFunction, fileName: string, sourceLines: string[]): LineInfoRec[] {
  const byInsn = new Map<number, { line: number; col: number }>();
  for (const l of p.fn.lines) byInsn.set(l.insn, l);
  return [...byInsn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([insn, l]) => ({
      insnOff: p.insnOffs[insn]!, fileName, lineText: sourceLines[l.line - 1] ?? "", line: l.line, col: l.col,
    }));
}

const DATA_FLAGS: Record<DataSectionName, number> = {
  ".rodata": SHF.ALLOC, ".data": SHF.ALLOC | SHF.WRITE, ".bss": SHF.ALLOC | SHF.WRITE,
};

export function writeObject(model: BpfObjectModel): Uint8Array {
  checkModel(model);

  // BTF: map types first, then globals, CO-RE root structs and enums, then FUNCs (which may use
  // struct pt_regs).
  const b = new BtfBuilder();
  const conv = new CTypeToBtf(b);
  const mapLayout = addMapsBtf(b, conv, model.maps);
  const dataLayout = addDataBtf(b, conv, model.globals);
  const functions = [...model.programs, ...model.subprograms];
  const core = localCoreTypes(functions.flatMap((f) => f.coreRelos));
  const coreTypeId = (r: ObjectFunction["coreRelos"][number]) => {
    const t = core.typeOf(r);
    return t.kind === "enum" ? conv.enumId(t) : conv.typeId(t);
  };
  for (const f of functions) for (const r of f.coreRelos) coreTypeId(r);
  const sections = placeFunctions([
    ...model.programs.map((p) => ({ fn: p, section: sectionName(p.point), global: true, funcType: addProgramFunc(b, conv, p.name, contextKind(p.point)) })),
    ...model.subprograms.map((s) => ({ fn: s, section: TEXT_SECTION, global: false, funcType: addSubprogramFunc(b, conv, s) })),
  ]);
  const licenseBytes = addLicenseBtf(b, conv, model.license);
  conv.finish();

  const sourceLines = model.sourceText.split("\n").map((l) => l.replace(/\r$/, ""));
  const ext: BtfExtInput = { funcInfo: [], lineInfo: [], coreRelo: [] };
  for (const s of sections) {
    const func: FuncInfoRec[] = [];
    const line: LineInfoRec[] = [];
    const relos: CoreReloRec[] = [];
    for (const p of s.functions) {
      func.push({ insnOff: p.offset, typeId: p.funcType });
      line.push(...lineRecords(p, model.sourcePath, sourceLines));
      for (const r of p.fn.coreRelos) {
        relos.push({ insnOff: p.insnOffs[r.insn]!, typeId: coreTypeId(r), access: core.accessPath(r).join(":"), kind: r.kind });
      }
    }
    ext.funcInfo.push({ section: s.name, records: func });
    ext.lineInfo.push({ section: s.name, records: line });
    ext.coreRelo.push({ section: s.name, records: relos });
  }
  const btfStrings = new StringTable();
  const btfExtBytes = encodeBtfExt(ext, btfStrings);
  const btfBytes = encodeBtf(b.types, btfStrings); // after .BTF.ext: its strings live here too

  // ELF.
  const elf = new ElfWriter(EM_BPF);
  const codeSecIdx = sections.map((s) => {
    const data = new Uint8Array(s.size);
    for (const p of s.functions) data.set(p.code, p.offset);
    return elf.addSection({ name: s.name, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data, align: 8 });
  });
  const dataSecIdx = dataLayout.map((d) => {
    if (d.section === ".bss") return elf.addSection({ name: d.section, type: SHT.NOBITS, flags: DATA_FLAGS[d.section], data: new Uint8Array(0), size: d.size, align: d.align });
    const data = new Uint8Array(d.size);
    for (const v of d.vars) data.set(v.global.init, v.offset);
    return elf.addSection({ name: d.section, type: SHT.PROGBITS, flags: DATA_FLAGS[d.section], data, align: d.align });
  });
  const licenseIdx = elf.addSection({ name: "license", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, data: licenseBytes, align: 1 });
  const mapsSize = mapLayout.reduce((n, m) => n + m.size, 0);
  const mapsIdx = mapsSize > 0
    ? elf.addSection({ name: ".maps", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, data: new Uint8Array(mapsSize), align: 8 })
    : 0;
  elf.addSection({ name: ".BTF", type: SHT.PROGBITS, flags: 0, data: btfBytes, align: 4 });
  elf.addSection({ name: ".BTF.ext", type: SHT.PROGBITS, flags: 0, data: btfExtBytes, align: 4 });

  const symbols = new Map<string, ElfSymbol>();
  sections.forEach((s, i) => {
    for (const p of s.functions) {
      const bind = p.global ? STB.GLOBAL : STB.LOCAL;
      symbols.set(p.fn.name, elf.addSymbol({ name: p.fn.name, section: codeSecIdx[i]!, value: p.offset, size: p.code.length, type: STT.FUNC, bind }));
    }
  });
  dataLayout.forEach((d, i) => {
    for (const v of d.vars) {
      symbols.set(v.global.name, elf.addSymbol({ name: v.global.name, section: dataSecIdx[i]!, value: v.offset, size: v.global.init.length, type: STT.OBJECT, bind: v.global.static ? STB.LOCAL : STB.GLOBAL }));
    }
  });
  for (const m of mapLayout) {
    symbols.set(m.map.name, elf.addSymbol({ name: m.map.name, section: mapsIdx, value: m.offset, size: m.size, type: STT.OBJECT, bind: STB.GLOBAL }));
  }
  elf.addSymbol({ name: "_license", section: licenseIdx, value: 0, size: licenseBytes.length, type: STT.OBJECT, bind: STB.GLOBAL });

  sections.forEach((s, i) => {
    const relocs: ElfReloc[] = s.functions.flatMap((p) => p.fn.relocs.map((r) => ({
      offset: p.insnOffs[r.insn]!, symbol: symbols.get(r.symbol)!, type: r.kind === "call" ? R_BPF_64_32 : R_BPF_64_64,
    })));
    if (relocs.length > 0) elf.addRelocations(codeSecIdx[i]!, relocs.sort((a, c) => a.offset - c.offset));
  });

  return elf.build();
}
