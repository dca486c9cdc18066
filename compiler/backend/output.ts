// What the backend produces for one IR function: final instructions with numeric jump
// offsets, plus the side tables the object writer needs. Plain data.

import type { Insn } from "../bpf/insn.js";
import type { CoreTag } from "../ir/ir.js";

export interface MachineCode {
  insns: Insn[];
  /** ld_imm64 instructions (by index) that load a map's address. */
  mapRelocs: { insn: number; map: string }[];
  /** Source location per instruction index where it changes; first entry is index 0. */
  lines: { insn: number; line: number; col: number }[];
  coreRelos: { insn: number; tag: CoreTag }[];
  /** Bytes of BPF stack the function uses (<= 512). */
  stackSize: number;
}
