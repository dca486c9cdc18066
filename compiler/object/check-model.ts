// Checks a BpfObjectModel before it is written, so a backend bug surfaces as a clear
// error here instead of an object that libbpf or the kernel rejects later.
// In: the model. Out: nothing, or an Error naming the first problem.

import { isLdImm64 } from "../bpf/insn.js";
import type { CType, StructField } from "../types/ctype.js";
import { sizeOf } from "../types/ctype.js";
import { isCIdentifier } from "./btf-ctype.js";
import { MAP_TYPE, type BpfObjectModel, type CoreRelo, type ObjectProgram } from "./model.js";

const RESERVED_SECTIONS = new Set(["", "license", "version", ".maps", "maps", ".BTF", ".BTF.ext", ".symtab", ".strtab", ".shstrtab"]);

function fail(msg: string): never {
  throw new Error(`writeObject: ${msg}`);
}

export function checkModel(m: BpfObjectModel): void {
  if (m.license.includes("\0")) fail("license contains NUL");
  const symbols = new Set<string>(["_license"]);
  const claim = (name: string, what: string): void => {
    if (!isCIdentifier(name)) fail(`${what} name ${JSON.stringify(name)} is not a C identifier`);
    if (symbols.has(name)) fail(`${what} name ${name} is used twice (ELF symbols must be unique)`);
    symbols.add(name);
  };
  for (const map of m.maps) {
    claim(map.name, "map");
    if (!Number.isInteger(map.type) || map.type <= 0) fail(`map ${map.name}: bad map type ${map.type}`);
    if (!Number.isInteger(map.maxEntries) || map.maxEntries <= 0) fail(`map ${map.name}: bad maxEntries ${map.maxEntries}`);
    if (map.type !== MAP_TYPE.RINGBUF) {
      if (!map.key || sizeOf(map.key) === 0) fail(`map ${map.name}: needs a key type with a size`);
      if (!map.value || sizeOf(map.value) === 0) fail(`map ${map.name}: needs a value type with a size`);
    }
  }
  const mapNames = new Set(m.maps.map((x) => x.name));
  for (const p of m.programs) {
    claim(p.name, "program");
    checkProgram(p, mapNames);
  }
}

function checkProgram(p: ObjectProgram, mapNames: Set<string>): void {
  const where = `program ${p.name}`;
  if (RESERVED_SECTIONS.has(p.section) || p.section.startsWith(".rel") || p.section.includes("\0")) {
    fail(`${where}: section name ${JSON.stringify(p.section)} is reserved`);
  }
  if (p.insns.length === 0) fail(`${where}: no instructions`);
  const inRange = (i: number, what: string): void => {
    if (!Number.isInteger(i) || i < 0 || i >= p.insns.length) fail(`${where}: ${what} refers to instruction ${i} of ${p.insns.length}`);
  };
  for (const r of p.mapRelocs) {
    inRange(r.insn, "map relocation");
    const insn = p.insns[r.insn]!;
    if (!isLdImm64(insn.code) || insn.imm64hi === undefined) fail(`${where}: map relocation on instruction ${r.insn}, which is not ld_imm64`);
    if (!mapNames.has(r.map)) fail(`${where}: relocation against unknown map ${r.map}`);
  }
  if (p.lines.length === 0) fail(`${where}: no line info`);
  for (const l of p.lines) inRange(l.insn, "line info");
  if (!p.lines.some((l) => l.insn === 0)) fail(`${where}: line info does not start at instruction 0`);
  for (const r of p.coreRelos) {
    inRange(r.insn, "CO-RE relocation");
    checkAccessPath(r, where);
  }
}

/** The access path must name real fields: first index = pointer deref, then fields/array elements. */
function checkAccessPath(r: CoreRelo, where: string): void {
  if (r.type.kind !== "struct") fail(`${where}: CO-RE root type is not a struct`);
  if (r.accessPath.length === 0) fail(`${where}: empty CO-RE access path`);
  let cur: CType = r.type;
  for (const idx of r.accessPath.slice(1)) {
    if (cur.kind === "struct") {
      const f: StructField | undefined = cur.fields[idx];
      if (!f) fail(`${where}: CO-RE access ${r.accessPath.join(":")}: ${cur.name} has no field #${idx}`);
      cur = f.type;
    } else if (cur.kind === "array") {
      if (idx >= cur.length) fail(`${where}: CO-RE access ${r.accessPath.join(":")}: index ${idx} out of bounds`);
      cur = cur.elem;
    } else {
      fail(`${where}: CO-RE access ${r.accessPath.join(":")} goes through a ${cur.kind}`);
    }
  }
}
