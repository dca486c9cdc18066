// What bpftsc knows about a probed architecture, as one interface that each architecture
// implements in one file: the kernel's struct pt_regs (a kprobe or uprobe program's
// context), the calling convention (argument registers, the stack at a function's entry,
// where each typed argument goes), DWARF's register numbers, and the kernel's syscall
// wrappers.
// In: nothing. Out: the Target interface; AbiType, the neutral description of argument
// types that the DWARF and BTF readers convert their types to; ArgPlace, where a target
// puts an argument of such a type.

/** A register that struct pt_regs holds. */
export interface Register {
  /** How the kernel's struct pt_regs spells it: a member ("di"), or a member's element
   *  ("regs[0]", for architectures that keep their registers in an array). */
  readonly name: string;
  /** Byte offset in struct pt_regs. */
  readonly ptRegs: number;
  /** DWARF register number (the architecture's psABI numbering). */
  readonly dwarf: number;
}

/** An argument or result type as a calling convention sees it. Sizes and alignments are
 *  in bytes. */
export type AbiType =
  | { readonly kind: "void" }
  /** Integers of any width (bool, char, enums, __int128), and pointers. */
  | { readonly kind: "int" | "pointer"; readonly size: number; readonly align: number }
  /** A floating-point type; `complex`: a pair of them, `size` covering both. `longDouble`:
   *  C's long double, whose format the target defines (x86-64: x87 extended precision). */
  | { readonly kind: "float"; readonly size: number; readonly align: number; readonly complex: boolean; readonly longDouble: boolean }
  /** A struct, class or union. `align` is the declared alignment when the reader knows one
   *  (DW_AT_alignment), else the members' decides. */
  | { readonly kind: "struct"; readonly size: number; readonly align?: number; readonly members: readonly AbiMember[] }
  /** An array (of every dimension: `count` elements of `elem` in all). */
  | { readonly kind: "array"; readonly elem: AbiType; readonly count: number }
  /** A type the reader cannot describe: passed in memory. */
  | { readonly kind: "opaque"; readonly size: number };

/** A member of a struct at its byte offset. A bit-field is described as a 1-byte int at the
 *  byte holding its first bit. */
export interface AbiMember {
  readonly offset: number;
  readonly type: AbiType;
}

/** Where an argument is at the function's first instruction. */
export type ArgPlace =
  /** In integer argument registers, one per 8 bytes of the value (a 9-16-byte struct takes two). */
  | { readonly kind: "regs"; readonly regs: readonly Register[] }
  /** In memory at a register's value plus `offset`: a stack-passed argument (sp-based), or
   *  a value passed by reference whose address is in a register (offset 0). `deref`: that
   *  memory holds the value's address instead (a reference passed on the stack). */
  | { readonly kind: "mem"; readonly base: Register; readonly offset: number; readonly deref?: boolean }
  /** At least partly in floating-point or vector registers, which pt_regs does not hold:
   *  the registers' assembler names, one per part ("xmm1", "rdi"). */
  | { readonly kind: "fpregs"; readonly names: readonly string[] };

export interface Target {
  /** The architecture's name: "x86_64", "arm64" (the kernel's and Debian's spelling). */
  readonly name: string;
  /** Other names targetFor accepts: Node's process.arch ("x64"), `uname -m` ("aarch64"). */
  readonly aliases: readonly string[];
  /** The ELF e_machine of its binaries (EM_X86_64 62, EM_AARCH64 183): a uprobe's binary
   *  must be one, or its DWARF register numbers would be read as another architecture's. */
  readonly elfMachine: number;
  /** The kernel's struct pt_regs: its size and the offset of every register it holds, keyed
   *  by the kernel's spelling (see Register.name). */
  readonly ptRegs: { readonly size: number; readonly offsets: Readonly<Record<string, number>> };
  /** The integer argument registers of the calling convention, in argument order. */
  readonly argRegs: readonly Register[];
  /** Where a function's integer or pointer result is when it returns. */
  readonly ret: Register;
  /** The stack pointer. */
  readonly sp: Register;
  /** Stack-passed arguments at a function's first instruction: the first at sp + `offset`
   *  (past the return address on x86-64; arm64 keeps it in a register), each in
   *  `slot`-byte slots. */
  readonly stackArgs: { readonly offset: number; readonly slot: number };
  /** The registers that pt_regs holds, indexed by DWARF register number; undefined for
   *  the numbers that name none (x86-64's 16 is the return-address column, 17-32 are xmm
   *  registers). */
  readonly dwarfRegs: readonly (Register | undefined)[];
  /** Assembler names by DWARF register number, for messages ("rdi", "xmm0"). */
  readonly dwarfNames: readonly string[];
  /** The kernel's syscall entry points (x86-64 since 4.17, arm64 since 4.19):
   *  `<prefix><syscall>` takes one argument, a pointer to the struct pt_regs the syscall
   *  was entered with, and the syscall's own arguments are the registers `args` inside
   *  that struct, in order. */
  readonly syscalls: { readonly prefix: string; readonly args: readonly Register[] };
  /** Where the calling convention puts each parameter of a function with these parameter
   *  and result types, at the function's first instruction. */
  placeArgs(result: AbiType, params: readonly AbiType[]): ArgPlace[];
}
