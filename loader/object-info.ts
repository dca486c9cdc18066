// What the loader needs to know from a BPF object file itself, read with the compiler's
// ELF and BTF readers: the BTF type table, the variables of each data section (.rodata,
// .data, .bss and their .rodata.*/.data.* kin), the record type of each ring buffer and
// the BTF decl tags on each map (a Log2Hist's "bpftsc:log2hist").
// In: the object's bytes. Out: an ObjectInfo. Variable offsets are fixed up as libbpf
// fixes them: clang leaves a DATASEC's size and its variables' offsets zero, and the ELF
// section size and symbol values give them.

import { parseBtf, type BtfTable } from "../compiler/debuginfo/btf-read.js";
import { ElfFile } from "../compiler/debuginfo/elf-read.js";
import { BTF_VAR_STATIC } from "../compiler/object/btf.js";
import { ringbufRecordTypedef } from "../compiler/object/object-btf.js";

export interface Variable {
  name: string;
  /** The ELF section it lives in (".rodata", ".bss", ...). */
  section: string;
  offset: number;
  size: number;
  /** Its BTF type. */
  type: number;
}

export interface DataSection {
  name: string;
  /** The DATASEC's BTF id (libbpf gives it as the section map's value type). */
  id: number;
  size: number;
  vars: Variable[];
}

export interface ObjectInfo {
  /** Absent for an object without a .BTF section (values are then raw bytes). */
  btf?: BtfTable;
  /** Data sections by DATASEC id. */
  sections: Map<number, DataSection>;
  /** The BTF type of a ring buffer's records, when the object names it. */
  recordType(mapName: string): number | undefined;
  /** The decl tags on a map's declaration (`btf_decl_tag` in C). */
  mapTags(mapName: string): string[];
}

/** DATASECs that hold no variables of the program's own. */
const NOT_DATA = new Set([".maps", "license", ".kconfig", ".ksyms"]);

export function readObjectInfo(bytes: Uint8Array): ObjectInfo {
  const elf = new ElfFile(bytes);
  const raw = elf.sectionData(".BTF");
  if (!raw) return { sections: new Map(), recordType: () => undefined, mapTags: () => [] };
  const btf = parseBtf(raw);
  const sections = new Map<number, DataSection>();
  for (const id of btf.idsOfKind("datasec")) {
    const sec = btf.type(id);
    if (sec.kind !== "datasec" || NOT_DATA.has(sec.name)) continue;
    const elfSec = elf.section(sec.name);
    const size = sec.size || (elfSec?.size ?? 0);
    // A static variable (a printk format, clang's `static` data) is the object's own,
    // not a setting or global user space reads: bpftool's skeletons leave them out too.
    const vars = sec.vars.filter((v) => !isStatic(btf, v.type)).map((v): Variable => {
      const name = btf.nameOf(v.type);
      const sym = elfSec && elf.symbolsNamed(name).find((s) => s.shndx === elfSec.index);
      return { name, section: sec.name, offset: sec.size || !sym ? v.offset : Number(sym.value), size: v.size, type: btf.refOf(v.type) };
    });
    sections.set(id, { name: sec.name, id, size, vars });
  }
  const tags = new Map<string, string[]>();
  for (const id of btf.idsOfKind("decl_tag")) {
    const t = btf.type(id);
    if (t.kind !== "decl_tag" || t.componentIdx !== -1 || btf.kindOf(t.type) !== "var") continue;
    const name = btf.nameOf(t.type);
    tags.set(name, [...(tags.get(name) ?? []), t.name]);
  }
  return {
    btf,
    sections,
    recordType: (mapName) => btf.idsByName("typedef", ringbufRecordTypedef(mapName))[0],
    mapTags: (mapName) => tags.get(mapName) ?? [],
  };
}

function isStatic(btf: BtfTable, varId: number): boolean {
  const v = btf.type(varId);
  return v.kind === "var" && v.linkage === BTF_VAR_STATIC;
}
