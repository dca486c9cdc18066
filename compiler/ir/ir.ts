// The intermediate representation between the frontend and the BPF backend.
// In: built by frontend/lower*.ts. Out: consumed by backend/ (instruction selection,
// register allocation, encoding). Plain data: a function is a list of basic blocks of
// instructions on unlimited 64-bit virtual registers, ending in one terminator each.
// Stack memory is named by slots; the backend lays out the frame.

import type { DataSectionName } from "../object/model.js";
import type { EnumType, StructType } from "../types/ctype.js";

/** A virtual register: a 64-bit value. */
export type VReg = number;

/** An immediate operand. Values are full 64-bit two's complement (as bigint). */
export interface Imm { imm: bigint }

/** A register or an immediate. */
export type Operand = VReg | Imm;

export function isImm(o: Operand): o is Imm {
  return typeof o !== "number";
}

export type Size = 1 | 2 | 4 | 8;

/** A memory base: a virtual register holding a pointer, or a stack slot of the frame. */
export type Base = { reg: VReg } | { slot: number };

/** 64-bit ALU operations. sdiv/smod are signed and truncate toward zero; the backend
 *  expands them with unsigned divides so they run on every BPF CPU version.
 *  Division by zero follows BPF: x/0 = 0, x%0 = x. */
export type AluOp =
  | "add" | "sub" | "mul" | "udiv" | "umod" | "sdiv" | "smod"
  | "and" | "or" | "xor" | "lsh" | "rsh" | "arsh";

/** Comparisons; "set" is (a & b) != 0. */
export type CmpOp =
  | "eq" | "ne" | "set"
  | "ugt" | "uge" | "ult" | "ule"
  | "sgt" | "sge" | "slt" | "sle";

/** Where an instruction came from in the probe file (1-based line and column). */
export interface Loc { line: number; col: number }

/** Marks an instruction whose immediate libbpf relocates (CO-RE): the offset of `root`'s
 *  `field`, whether the field (or, without a field, the type) exists on the kernel the
 *  object loads on, or, for an enum root, the enumerator `field`'s value or existence
 *  there (`kind`: a CORE_KIND of object/model.ts). The backend keeps such an immediate in
 *  one instruction of its own (an ld_imm64 for an enumerator) and reports it. */
export interface CoreTag { root: StructType | EnumType; field?: string; kind: number }

export type Inst = (
  /** `core`: a value libbpf relocates (a field's or type's existence, an enumerator's
   *  value or existence), never folded. */
  | { op: "const"; dst: VReg; value: bigint; core?: CoreTag }
  | { op: "mov"; dst: VReg; src: VReg }
  /** w32: the operation on the low 32 bits, its result zero-extended (BPF's 32-bit ALU);
   *  only add, sub, mul, and, or, xor, and lsh, rsh and arsh by an immediate below 32 (arsh
   *  reads the low half as signed). */
  | { op: "alu"; alu: AluOp; dst: VReg; a: VReg; b: Operand; core?: CoreTag; w32?: boolean }
  | { op: "neg"; dst: VReg; a: VReg }
  /** dst = src truncated to `bits` and zero- or sign-extended back to 64. */
  | { op: "ext"; dst: VReg; src: VReg; bits: 8 | 16 | 32; signed: boolean }
  /** dst = a cmp b ? 1 : 0 */
  | { op: "setcc"; dst: VReg; cmp: CmpOp; a: VReg; b: Operand }
  /** Direct load (zero-extending) from the context, a stack slot or a checked pointer. */
  | { op: "load"; dst: VReg; base: Base; off: number; size: Size }
  | { op: "store"; base: Base; off: number; size: Size; src: Operand }
  /** dst = address of a stack slot plus off. */
  | { op: "addr"; dst: VReg; slot: number; off: number }
  /** dst = the address of a map or of a global variable (ld_imm64 with a relocation
   *  against the symbol); `at`, a module global's section and offset in it. */
  | { op: "symref"; dst: VReg; kind: "map" | "data"; symbol: string; at?: { section: DataSectionName; offset: number } }
  /** Calls helper number `helper`, or the subprogram `fn`, with up to 5 arguments
   *  (R1..R5); result to dst. Either clobbers R0..R5 and preserves R6..R9. `probed` marks
   *  a probe read (args: destination, size, source) of part of one object of the probed
   *  memory, which starts `start` bytes before the source and is `size` bytes long: reads
   *  of one object may be merged into one read of a span of it. */
  | ({ op: "call"; dst?: VReg; args: Operand[]; probed?: { start: number; size: number } } & ({ helper: number } | { fn: string }))
  /** Atomic *(base+off) += src. */
  | { op: "atomic_add"; base: { reg: VReg }; off: number; size: 4 | 8; src: VReg }
  /** dst = src, passed through stack memory the verifier does not follow, so that it
   *  forgets what it knew of the value (its range, the branches that narrowed it, the
   *  registers tied to it) but what value-ranges.ts knows: a zero- or sign-extended
   *  32-bit value stays one (frontend/forget-carried.ts). */
  | { op: "forget"; dst: VReg; src: VReg }
) & { loc?: Loc };

export type Terminator = (
  | { op: "jmp"; target: number }
  | { op: "br"; cmp: CmpOp; a: VReg; b: Operand; then: number; else: number }
  | { op: "ret"; value: Operand }
) & { loc?: Loc };

export interface Block {
  id: number;
  insts: Inst[];
  term: Terminator;
}

export interface Slot {
  id: number;
  size: number;
  align: number;
  /** What the slot holds, for listings and diagnostics. */
  name: string;
  /** Where in the probe file the slot was needed. */
  loc?: Loc;
  /** Written once by a store of the whole slot, then only read (by helpers such as
   *  map lookups that take its address). Such slots holding the same value can share. */
  readOnly?: boolean;
  /** The struct the prologue writes the parameters past the fourth into (CONTRACT.md
   *  section 3): the body reads them from it, so no pass turns those reads into
   *  registers kept alive from the prologue on. */
  parameters?: boolean;
}

export interface IrFunction {
  name: string;
  /** The arguments, arriving in R1..R5: a program's one is its context pointer. */
  params: VReg[];
  /** Preferred physical registers (e.g. fetched parameters in R2..R5). */
  hints: Map<VReg, number>;
  /** Blocks in layout order; blocks[0] is the entry. */
  blocks: Block[];
  slots: Slot[];
  /** One past the highest virtual register in use. */
  nextReg: VReg;
  loc?: Loc;
}
