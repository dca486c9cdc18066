// x86-64: the kernel's struct pt_regs (arch/x86/include/asm/ptrace.h), DWARF's register
// numbers (System V psABI, table 3.36), the kernel's syscall wrappers, and the System V
// calling convention (psABI §3.2.3): each argument is classified per eightbyte (INTEGER,
// SSE, X87, MEMORY); INTEGER eightbytes take rdi, rsi, rdx, rcx, r8, r9 in turn, SSE ones
// xmm0-7, and what does not fit (or is MEMORY/X87) goes to the stack, from rsp+8 at entry,
// each argument 8-byte aligned (16 when its type asks for more). A function whose result
// is MEMORY-class takes the hidden result pointer in rdi first.
// In: nothing. Out: the x86_64 Target.

import type { AbiType, ArgPlace, Register, Target } from "./target.js";

/** struct pt_regs member offsets. */
const PT_REGS = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  ax: 80, cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;
const PT_REGS_SIZE = 168;

type RegName = keyof typeof PT_REGS;

/** The pt_regs member of each DWARF register number that it holds (0 rax .. 15 r15). */
const DWARF_REGS: readonly RegName[] = ["ax", "dx", "cx", "bx", "si", "di", "bp", "sp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/** Assembler names by DWARF register number: 0-16 rax .. rip, 17-32 xmm0-15. */
const DWARF_NAMES: readonly string[] = [
  "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
  ...Array.from({ length: 16 }, (_, i) => `xmm${i}`),
];

function reg(name: RegName): Register {
  return { name, ptRegs: PT_REGS[name], dwarf: DWARF_REGS.indexOf(name) };
}

const ARG_REGS = (["di", "si", "dx", "cx", "r8", "r9"] as const).map(reg);
const SP = reg("sp");
const STACK_ARGS = { offset: 8, slot: 8 }; // rsp+0 holds the return address
const SSE_ARG_REGS = 8;

export const x86_64: Target = {
  name: "x86_64",
  aliases: ["x64", "amd64"],
  elfMachine: 62, // EM_X86_64
  ptRegs: { size: PT_REGS_SIZE, offsets: PT_REGS },
  argRegs: ARG_REGS,
  ret: reg("ax"),
  sp: SP,
  stackArgs: STACK_ARGS,
  dwarfRegs: DWARF_REGS.map(reg),
  dwarfNames: DWARF_NAMES,
  // The syscall instruction passes the 4th argument in r10: rcx holds the return address.
  syscalls: { prefix: "__x64_sys_", args: (["di", "si", "dx", "r10", "r8", "r9"] as const).map(reg) },
  placeArgs,
};

type Class = "NO_CLASS" | "INTEGER" | "SSE" | "X87" | "MEMORY";

interface Classified {
  size: number;
  align: number;
  /** One class per eightbyte; ["MEMORY"] when passed in memory. */
  classes: Class[];
}

function placeArgs(result: AbiType, params: readonly AbiType[]): ArgPlace[] {
  let nextInt = 0;
  let nextSse = 0;
  let stack = STACK_ARGS.offset;
  if (classify(result).classes[0] === "MEMORY") nextInt = 1; // the hidden result pointer takes rdi
  return params.map((t): ArgPlace => {
    const c = classify(t);
    const ints = c.classes.filter((x) => x === "INTEGER").length;
    const sses = c.classes.filter((x) => x === "SSE").length;
    const inMemory = c.classes[0] === "MEMORY" || c.classes[0] === "X87" || nextInt + ints > ARG_REGS.length || nextSse + sses > SSE_ARG_REGS;
    if (inMemory) {
      const align = c.align > 8 ? 16 : STACK_ARGS.slot;
      stack = Math.ceil(stack / align) * align;
      const place: ArgPlace = { kind: "mem", base: SP, offset: stack };
      stack += Math.ceil(Math.max(c.size, 1) / STACK_ARGS.slot) * STACK_ARGS.slot;
      return place;
    }
    const regs: Register[] = [];
    const names: string[] = [];
    for (const k of c.classes) {
      if (k === "INTEGER") {
        const r = ARG_REGS[nextInt++]!;
        regs.push(r);
        names.push(DWARF_NAMES[r.dwarf]!);
      } else {
        names.push(`xmm${nextSse++}`);
      }
    }
    return regs.length === names.length ? { kind: "regs", regs } : { kind: "fpregs", names };
  });
}

function merge(a: Class, b: Class): Class {
  if (a === b) return a;
  if (a === "NO_CLASS") return b;
  if (b === "NO_CLASS") return a;
  if (a === "MEMORY" || b === "MEMORY") return "MEMORY";
  if (a === "INTEGER" || b === "INTEGER") return "INTEGER";
  if (a === "X87" || b === "X87") return "MEMORY";
  return "SSE";
}

/** Merges a part's classes into the eightbytes from `at` on (those past the end are dropped). */
function mergeAt(classes: Class[], at: number, part: Class[]): void {
  part.forEach((c, i) => {
    if (at + i < classes.length) classes[at + i] = merge(classes[at + i]!, c);
  });
}

function eightbytes(size: number, c: Class): Class[] {
  return size > 8 ? [c, c] : [c];
}

function classify(t: AbiType): Classified {
  switch (t.kind) {
    case "void":
      return { size: 0, align: 1, classes: [] };
    case "int": case "pointer":
      return { size: t.size, align: t.align, classes: eightbytes(t.size, "INTEGER") };
    case "float":
      if (t.complex && t.size === 32) return { size: t.size, align: t.align, classes: ["MEMORY"] }; // complex long double
      if (!t.complex && t.size === 16 && t.longDouble) return { size: t.size, align: t.align, classes: ["X87"] };
      return { size: t.size, align: t.align, classes: eightbytes(t.size, "SSE") };
    case "struct": {
      if (t.size > 16 || t.size === 0) return { size: t.size, align: 8, classes: ["MEMORY"] };
      const classes = eightbytes(t.size, "NO_CLASS");
      let align = 1;
      for (const m of t.members) {
        const f = classify(m.type);
        align = Math.max(align, f.align);
        if (f.classes[0] === "MEMORY" || m.offset % f.align !== 0) return { size: t.size, align, classes: ["MEMORY"] };
        mergeAt(classes, Math.floor(m.offset / 8), f.classes);
      }
      if (classes.includes("MEMORY") || classes.includes("X87")) return { size: t.size, align, classes: ["MEMORY"] };
      return { size: t.size, align: t.align ?? align, classes: classes.map((c) => (c === "NO_CLASS" ? "SSE" : c)) };
    }
    case "array": {
      const elem = classify(t.elem);
      const size = elem.size * t.count;
      if (size > 16 || size === 0 || elem.classes[0] === "MEMORY") return { size, align: elem.align, classes: ["MEMORY"] };
      const classes = eightbytes(size, "NO_CLASS");
      for (let i = 0; i < t.count; i++) mergeAt(classes, Math.floor((i * elem.size) / 8), elem.classes);
      return { size, align: elem.align, classes: classes.map((c) => (c === "NO_CLASS" ? "SSE" : c)) };
    }
    case "opaque":
      return { size: t.size, align: 8, classes: ["MEMORY"] };
  }
}
