// arm64 (AArch64): the kernel's struct pt_regs (arch/arm64/include/asm/ptrace.h: struct
// user_pt_regs's regs[31], sp, pc, pstate, then orig_x0 and syscallno), DWARF's register
// numbers (DWARF for the Arm 64-bit Architecture: x0-x30 are 0-30, sp 31, pc 32, v0-v31
// 64-95), the kernel's syscall wrappers, and the AAPCS64 calling convention (§6.8.2, as
// gcc implements it on Linux):
// - integers and pointers take x0-x7 in turn; a 16-byte-aligned argument (__int128, a
//   struct with such a member) starts at an even register;
// - a composite of up to 16 bytes takes one or two consecutive x registers, whatever its
//   members (a struct of a double and a long too), unless it is a homogeneous
//   floating-point aggregate (HFA: one to four members of one floating-point type), which
//   takes v registers as floating-point scalars do;
// - a composite over 16 bytes is copied by the caller and passed by reference: the
//   register (or stack slot) holds the copy's address;
// - what does not fit in the registers left goes to the stack, from sp+0 at entry (no
//   return address there: it is in x30), in 8-byte slots, aligned to 16 when the argument's
//   alignment is 16; and once an argument has gone to the stack for want of x registers,
//   no later one takes an x register (NGRN is set to 8; likewise v registers);
// - a composite's alignment is its members' (gcc since 9.1 ignores an aligned attribute
//   on the type itself); an empty struct (a GNU C extension) takes neither a register nor
//   stack;
// - a function returning a composite over 16 bytes gets the result's address in x8, which
//   is not an argument register: the arguments are placed as if it returned nothing.
// In: nothing. Out: the arm64 Target.

import type { AbiType, ArgPlace, Register, Target } from "./target.js";

const EM_AARCH64 = 183;
const ARG_REGS_COUNT = 8; // x0-x7
const FP_ARG_REGS = 8; // v0-v7

/** struct pt_regs member offsets: regs[0..30] as "regs[N]", then the named members. */
const PT_REGS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Array.from({ length: 31 }, (_, n) => [`regs[${n}]`, 8 * n])),
  sp: 248, pc: 256, pstate: 264, orig_x0: 272, syscallno: 280,
};
/** Linux 6.1's size; members past syscallno differ between versions, and nothing reads them. */
const PT_REGS_SIZE = 336;

/** DWARF register n (0-30: xN, 31: sp, 32: pc) as pt_regs holds it. */
function dwarfReg(n: number): Register {
  const name = n < 31 ? `regs[${n}]` : n === 31 ? "sp" : "pc";
  return { name, ptRegs: PT_REGS[name]!, dwarf: n };
}

/** Assembler names by DWARF register number; 33-63 (system and SVE registers) by number. */
const DWARF_NAMES: readonly string[] = Array.from({ length: 96 }, (_, n) =>
  n < 31 ? `x${n}` : n === 31 ? "sp" : n === 32 ? "pc" : n >= 64 ? `v${n - 64}` : `reg${n}`);

const DWARF_REGS = Array.from({ length: 33 }, (_, n) => dwarfReg(n));
const ARG_REGS = DWARF_REGS.slice(0, ARG_REGS_COUNT);
const SP = dwarfReg(31);
const STACK_ARGS = { offset: 0, slot: 8 };

export const arm64: Target = {
  name: "arm64",
  aliases: ["aarch64"],
  elfMachine: EM_AARCH64,
  ptRegs: { size: PT_REGS_SIZE, offsets: PT_REGS },
  argRegs: ARG_REGS,
  ret: ARG_REGS[0]!,
  sp: SP,
  stackArgs: STACK_ARGS,
  dwarfRegs: DWARF_REGS,
  dwarfNames: DWARF_NAMES,
  // The svc instruction takes the syscall's arguments in x0-x5 (its number in x8).
  syscalls: { prefix: "__arm64_sys_", args: ARG_REGS.slice(0, 6) },
  placeArgs,
};

/** How AAPCS64 sees a type: its size and alignment, and, for a floating-point scalar or
 *  an HFA, how many v registers it takes. */
interface Shape {
  size: number;
  align: number;
  composite: boolean;
  /** The number of floating-point members: 1 for a scalar, 1-4 for an HFA; 0 otherwise. */
  fp: number;
}

function placeArgs(_result: AbiType, params: readonly AbiType[]): ArgPlace[] {
  let ngrn = 0; // next general-purpose register
  let nsrn = 0; // next SIMD/floating-point register
  let nsaa = STACK_ARGS.offset; // next stacked argument's offset from sp
  const onStack = (size: number, align: number): number => {
    nsaa = roundUp(nsaa, Math.min(Math.max(align, STACK_ARGS.slot), 16));
    const at = nsaa;
    nsaa += roundUp(size, STACK_ARGS.slot);
    return at;
  };
  return params.map((t): ArgPlace => {
    const s = shape(t);
    if (s.fp > 0) {
      if (nsrn + s.fp <= FP_ARG_REGS) {
        const names = Array.from({ length: s.fp }, (_, i) => `v${nsrn + i}`);
        nsrn += s.fp;
        return { kind: "fpregs", names };
      }
      nsrn = FP_ARG_REGS;
      return { kind: "mem", base: SP, offset: onStack(s.size, s.align) };
    }
    if (s.size === 0) return { kind: "mem", base: SP, offset: nsaa };
    if (s.composite && s.size > 16) {
      // Passed by reference: the copy's address is an 8-byte argument of its own.
      if (ngrn < ARG_REGS_COUNT) return { kind: "mem", base: ARG_REGS[ngrn++]!, offset: 0 };
      return { kind: "mem", base: SP, offset: onStack(8, 8), deref: true };
    }
    const words = Math.ceil(s.size / 8);
    if (s.align === 16) ngrn = roundUp(ngrn, 2);
    if (ngrn + words <= ARG_REGS_COUNT) {
      const regs = ARG_REGS.slice(ngrn, ngrn + words);
      ngrn += words;
      return { kind: "regs", regs };
    }
    ngrn = ARG_REGS_COUNT;
    return { kind: "mem", base: SP, offset: onStack(s.size, s.align) };
  });
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function shape(t: AbiType): Shape {
  switch (t.kind) {
    case "void":
      return { size: 0, align: 1, composite: false, fp: 0 };
    case "int": case "pointer":
      return { size: t.size, align: t.align, composite: false, fp: 0 };
    case "float":
      // A complex value is an HFA of its two parts; long double is IEEE quad, in one q register.
      return { size: t.size, align: t.align, composite: t.complex, fp: t.complex ? 2 : 1 };
    case "struct": {
      const members = t.members.map((m) => shape(m.type));
      const align = Math.max(1, ...members.map((m) => m.align));
      return { size: t.size, align, composite: true, fp: hfaMembers(t, t.size) };
    }
    case "array": {
      const elem = shape(t.elem);
      const size = elem.size * t.count;
      return { size, align: elem.align, composite: true, fp: hfaMembers(t, size) };
    }
    case "opaque":
      return { size: t.size, align: 8, composite: true, fp: 0 };
  }
}

/** An HFA's member count (1-4), or 0 when the composite of `size` bytes is not one: every
 *  floating-point member (through nested structs and arrays) of one type, filling it. */
function hfaMembers(t: AbiType, size: number): number {
  const leaves: Extract<AbiType, { kind: "float" }>[] = [];
  const collect = (x: AbiType): boolean => {
    if (leaves.length > 4) return false;
    switch (x.kind) {
      case "float": {
        const part = { ...x, size: x.complex ? x.size / 2 : x.size, complex: false };
        leaves.push(...(x.complex ? [part, part] : [part]));
        return true;
      }
      case "struct": return x.members.every((m) => collect(m.type));
      case "array": return x.count <= 4 && Array.from({ length: x.count }).every(() => collect(x.elem));
      default: return false;
    }
  };
  if (!collect(t) || leaves.length === 0 || leaves.length > 4) return 0;
  const base = leaves[0]!;
  const same = leaves.every((l) => l.size === base.size && l.longDouble === base.longDouble);
  return same && base.size * leaves.length === size ? leaves.length : 0;
}
