// What the backend produces for one IR function: final instructions with numeric jump
// offsets, plus the side tables the object writer needs. Plain data.

import type { Insn } from "../bpf/insn.js";
import type { CoreTag } from "../ir/ir.js";

export interface MachineCode {
  insns: Insn[];
  /** Instructions (by index) that refer to a symbol: ld_imm64 of a map's or a global's
   *  address, or a call of a subprogram. */
  relocs: { insn: number; kind: "map" | "data" | "call"; symbol: string }[];
  /** Source location per instruction index where it changes; first entry is index 0. */
  lines: { insn: number; line: number; col: number }[];
  coreRelos: { insn: number; tag: CoreTag }[];
  /** Bytes of BPF stack the function uses (<= 512). */
  stackSize: number;
}
