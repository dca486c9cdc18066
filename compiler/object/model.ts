// The object to write: plain data from the backend and frontend, consumed by the
// ELF/BTF writer (object/write-elf.ts). Building one by hand is how the writer is tested.

import type { Insn } from "../bpf/insn.js";
import type { CType, StructType } from "../types/ctype.js";

/** BPF map types (enum bpf_map_type) that the language offers. */
export const MAP_TYPE = {
  HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_HASH: 9, RINGBUF: 27,
} as const;

export interface ObjectMap {
  /** ELF symbol and libbpf map name. */
  name: string;
  type: number;
  /** Absent for ring buffers. */
  key?: CType;
  /** A ring buffer's record type (optional there). */
  value?: CType;
  maxEntries: number;
  flags?: number;
}

/** A CO-RE relocation: libbpf rewrites the instruction's offset for the running kernel. */
export interface CoreRelo {
  /** Index of the instruction (in Insn[] order) whose offset/imm is relocated. */
  insn: number;
  /** The root type of the access (a struct). */
  type: StructType;
  /** Access path as in .BTF.ext: "0:1:2" (first index is the pointer deref, then field indices). */
  accessPath: number[];
  /** enum bpf_core_relo_kind; 0 = FIELD_BYTE_OFFSET. */
  kind: number;
}

/** What a program's BTF prototype says its context argument is. */
export type ContextKind = "pt_regs" | "void" | "u64_array";

export interface ObjectProgram {
  /** ELF function symbol and libbpf program name. */
  name: string;
  /** Section name, e.g. "kprobe/vfs_write"; libbpf attaches by it. */
  section: string;
  context: ContextKind;
  insns: Insn[];
  /** ld_imm64 instructions (by index) that load a map's address. */
  mapRelocs: { insn: number; map: string }[];
  /** Source line of instructions, by index; the first entry must be instruction 0. */
  lines: { insn: number; line: number; col: number }[];
  coreRelos: CoreRelo[];
}

export interface BpfObjectModel {
  /** The probe file's path as it goes into line info. */
  sourcePath: string;
  /** The probe file's text; line info carries the text of each referenced line. */
  sourceText: string;
  license: string;
  programs: ObjectProgram[];
  maps: ObjectMap[];
}
