// The object to write: plain data from the backend and frontend, consumed by the
// ELF/BTF writer (object/write-elf.ts). Building one by hand is how the writer is tested.
// An object is programs (one per probe point), subprograms they call, maps, and global
// data (load-time settings in .rodata, globals in .data/.bss); code refers to maps, data
// and subprograms by symbol name through relocations, resolved only by the writer.

import type { Insn } from "../bpf/insn.js";
import type { CType, EnumType, StructType } from "../types/ctype.js";

/** BPF map types (enum bpf_map_type) that the language offers. */
export const MAP_TYPE = {
  HASH: 1, ARRAY: 2, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, RINGBUF: 27,
} as const;

export interface ObjectMap {
  /** ELF symbol and libbpf map name. */
  name: string;
  type: number;
  /** Absent for ring buffers. */
  key?: CType;
  /** A ring buffer's record type (optional there). */
  value?: CType;
  /** A ring buffer's or perf event array's record type: described in BTF as
   *  `typedef <record> <name>__record`, so user space can decode the events (the map
   *  itself has no key or value type). */
  record?: CType;
  /** Key and value sizes of a map without key and value types (a perf event array's
   *  are 4: the CPU and the perf event's fd). */
  keySize?: number;
  valueSize?: number;
  /** 0 only for a perf event array: libbpf makes it one entry per CPU. */
  maxEntries: number;
  flags?: number;
  /** BTF decl tags on the map's VAR (`__attribute__((btf_decl_tag(...)))` in C):
   *  LOG2_HIST_TAG marks a Log2Hist. */
  tags?: string[];
}

/** Where a program attaches; the writer turns it into libbpf's section name. */
export type ProbePoint =
  | { kind: "kprobe" | "kretprobe" | "fentry" | "fexit"; fn: string }
  /** `symbol` is a symbol or `symbol+0xoffset`. */
  | { kind: "uprobe" | "uretprobe"; binary: string; symbol: string }
  | { kind: "tracepoint"; category: string; event: string }
  /** A tracepoint's raw arguments, typed from BTF (tp_btf) or as u64s (raw_tp). */
  | { kind: "tp_btf" | "raw_tp"; event: string };

/** enum bpf_core_relo_kind: what libbpf computes for the kernel it loads on. */
export const CORE_KIND = { FIELD_BYTE_OFFSET: 0, FIELD_EXISTS: 2, TYPE_EXISTS: 8, ENUMVAL_EXISTS: 10, ENUMVAL_VALUE: 11 } as const;

/** A CO-RE relocation: libbpf rewrites the instruction's offset or immediate for the
 *  running kernel. The writer describes `root` locally with just the fields (enumerators)
 *  the object accesses (libbpf matches them by name) and numbers the access path. */
export interface CoreRelo {
  /** Index of the instruction (in Insn[] order) whose offset/imm is relocated. */
  insn: number;
  /** The struct the field belongs to, laid out as the compiling kernel lays it out; or the
   *  enum of an enumerator relocation (ENUMVAL_*), whose instruction is an ld_imm64. */
  root: StructType | EnumType;
  /** The accessed field of a struct root (none for TYPE_EXISTS); an enum root's enumerator. */
  field?: string;
  /** A CORE_KIND. */
  kind: number;
}

/** What an instruction refers to by name: a map (ld_imm64 of the map's address), a global
 *  (ld_imm64 of its address in its data section) or a subprogram (a BPF-to-BPF call). */
export interface Reloc { insn: number; kind: "map" | "data" | "call"; symbol: string }

export interface ObjectFunction {
  /** ELF function symbol; for a program also libbpf's program name. */
  name: string;
  insns: Insn[];
  relocs: Reloc[];
  /** Source line of instructions, by index; the first entry must be instruction 0. */
  lines: { insn: number; line: number; col: number }[];
  coreRelos: CoreRelo[];
}

export interface ObjectProgram extends ObjectFunction {
  point: ProbePoint;
}

/** A static BPF-to-BPF function in .text, verified in each caller's context. */
export interface ObjectSubprogram extends ObjectFunction {
  params: { name: string; type: CType }[];
  /** Undefined: returns nothing (void). */
  ret?: CType;
}

export type DataSectionName = ".rodata" | ".data" | ".bss";

/** A global variable: `.rodata` holds load-time settings (libbpf's `const volatile`),
 *  `.data` initialised globals, `.bss` zero-initialised ones. */
export interface ObjectGlobal {
  name: string;
  section: DataSectionName;
  type: CType;
  /** The initial value, sizeOf(type) bytes (all zero for .bss). */
  init: Uint8Array;
  /** A C `static const` in .rodata (a printk format): a local symbol and a static BTF
   *  VAR, which libbpf's skeletons and bpftsc/loader do not offer as a setting. */
  static?: boolean;
}

export interface BpfObjectModel {
  /** The probe file's path as it goes into line info. */
  sourcePath: string;
  /** The probe file's text; line info carries the text of each referenced line. */
  sourceText: string;
  license: string;
  programs: ObjectProgram[];
  subprograms: ObjectSubprogram[];
  maps: ObjectMap[];
  globals: ObjectGlobal[];
}
