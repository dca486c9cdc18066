// Checks a BpfObjectModel before it is written, so a backend bug surfaces as a clear
// error here instead of an object that libbpf or the kernel rejects later.
// In: the model. Out: nothing, or an Error naming the first problem.

import { CLS, JMP, PSEUDO_CALL, isLdImm64, type Insn } from "../bpf/insn.js";
import { findField, sizeOf, type EnumType } from "../types/ctype.js";
import { isCIdentifier } from "./btf-ctype.js";
import { coreEnumValue } from "./core-types.js";
import { CORE_KIND, MAP_TYPE, type BpfObjectModel, type CoreRelo, type ObjectFunction, type Reloc } from "./model.js";
import { TEXT_SECTION, sectionName } from "./sections.js";

const RESERVED_SECTIONS = new Set(["", TEXT_SECTION, "license", "version", ".maps", "maps", ".rodata", ".data", ".bss", ".BTF", ".BTF.ext", ".symtab", ".strtab", ".shstrtab"]);

function fail(msg: string): never {
  throw new Error(`writeObject: ${msg}`);
}

export function checkModel(m: BpfObjectModel): void {
  if (m.license.includes("\0")) fail("license contains NUL");
  const symbols = new Map<string, Reloc["kind"] | "program">([["_license", "data"]]);
  const claim = (name: string, what: string, kind: Reloc["kind"] | "program"): void => {
    if (!isCIdentifier(name)) fail(`${what} name ${JSON.stringify(name)} is not a C identifier`);
    if (symbols.has(name)) fail(`${what} name ${name} is used twice (ELF symbols must be unique)`);
    symbols.set(name, kind);
  };
  for (const map of m.maps) {
    claim(map.name, "map", "map");
    if (!Number.isInteger(map.type) || map.type <= 0) fail(`map ${map.name}: bad map type ${map.type}`);
    const perf = map.type === MAP_TYPE.PERF_EVENT_ARRAY;
    const sized = perf || map.type === MAP_TYPE.STACK_TRACE || map.type === MAP_TYPE.CGROUP_ARRAY;
    if (!Number.isInteger(map.maxEntries) || map.maxEntries < (perf ? 0 : 1)) fail(`map ${map.name}: bad maxEntries ${map.maxEntries}`);
    if (map.type === MAP_TYPE.RINGBUF || sized) {
      if (map.key || map.value) fail(`map ${map.name}: a map of this type has no key or value type (its sizes are keySize and valueSize, a record type is 'record')`);
      if (sized && (!map.keySize || !map.valueSize)) fail(`map ${map.name}: needs keySize and valueSize`);
    } else {
      if (!map.key || sizeOf(map.key) === 0) fail(`map ${map.name}: needs a key type with a size`);
      if (!map.value || sizeOf(map.value) === 0) fail(`map ${map.name}: needs a value type with a size`);
    }
  }
  for (const g of m.globals) {
    claim(g.name, "global", "data");
    if (g.init.length !== sizeOf(g.type) || g.init.length === 0) fail(`global ${g.name}: ${g.init.length} initial bytes for a ${sizeOf(g.type)}-byte type`);
    if (g.section === ".bss" && g.init.some((x) => x !== 0)) fail(`global ${g.name}: .bss holds zeroes only`);
  }
  for (const p of m.programs) {
    claim(p.name, "program", "program");
    const section = sectionName(p.point);
    if (RESERVED_SECTIONS.has(section) || section.startsWith(".rel") || section.includes("\0")) {
      fail(`program ${p.name}: section name ${JSON.stringify(section)} is reserved`);
    }
  }
  for (const s of m.subprograms) claim(s.name, "subprogram", "call");
  for (const f of [...m.programs, ...m.subprograms]) checkFunction(f, symbols);
}

function checkFunction(p: ObjectFunction, symbols: Map<string, Reloc["kind"] | "program">): void {
  const where = `function ${p.name}`;
  if (p.insns.length === 0) fail(`${where}: no instructions`);
  const inRange = (i: number, what: string): void => {
    if (!Number.isInteger(i) || i < 0 || i >= p.insns.length) fail(`${where}: ${what} refers to instruction ${i} of ${p.insns.length}`);
  };
  for (const r of p.relocs) {
    inRange(r.insn, `${r.kind} relocation`);
    const insn = p.insns[r.insn]!;
    const kind = symbols.get(r.symbol);
    if (kind !== r.kind) fail(`${where}: ${r.kind} relocation against ${kind === undefined ? "unknown symbol" : `the ${kind}`} ${r.symbol}`);
    if (r.kind === "call") {
      if (insn.code !== (CLS.JMP | JMP.CALL) || insn.src !== PSEUDO_CALL || insn.imm !== -1) fail(`${where}: call relocation on instruction ${r.insn}, which is not a BPF-to-BPF call with imm -1`);
    } else if (!isLdImm64(insn.code) || insn.imm64hi === undefined) {
      fail(`${where}: ${r.kind} relocation on instruction ${r.insn}, which is not ld_imm64`);
    }
  }
  if (p.lines.length === 0) fail(`${where}: no line info`);
  for (const l of p.lines) inRange(l.insn, "line info");
  if (!p.lines.some((l) => l.insn === 0)) fail(`${where}: line info does not start at instruction 0`);
  for (const r of p.coreRelos) {
    inRange(r.insn, "CO-RE relocation");
    if (r.root.kind === "enum") checkEnumRelo(where, r, r.root, p.insns[r.insn]!);
    else if (r.field !== undefined && !findField(r.root, r.field)) fail(`${where}: CO-RE relocation on ${r.root.name}.${r.field}, which ${r.root.name} does not have`);
  }
}

/** An enumerator relocation is on an ld_imm64 holding what libbpf expects there before
 *  relocation: 1 for ENUMVAL_EXISTS, the local value as libbpf reads it for ENUMVAL_VALUE. */
function checkEnumRelo(where: string, r: CoreRelo, root: EnumType, insn: Insn): void {
  const what = `CO-RE relocation on enum ${root.name}'s ${r.field}`;
  const e = root.values.find((v) => v.name === r.field);
  if (!e) fail(`${where}: ${what}, which it does not have`);
  if (r.kind !== CORE_KIND.ENUMVAL_EXISTS && r.kind !== CORE_KIND.ENUMVAL_VALUE) fail(`${where}: ${what} of kind ${r.kind}, not an enumerator kind`);
  if (!isLdImm64(insn.code) || insn.imm64hi === undefined || insn.src !== 0) fail(`${where}: ${what} on an instruction that is not a plain ld_imm64`);
  const held = BigInt.asUintN(32, BigInt(insn.imm)) | BigInt.asUintN(32, BigInt(insn.imm64hi)) << 32n;
  const want = r.kind === CORE_KIND.ENUMVAL_EXISTS ? 1n : coreEnumValue(root, e.value);
  if (held !== want) fail(`${where}: ${what}: the instruction holds ${held}, libbpf expects ${want}`);
}
