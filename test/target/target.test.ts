// The x86-64 target description against the facts: the pt_regs offsets that
// /work/shared/ENVIRONMENT.md lists, the running kernel's own BTF for struct pt_regs and
// the syscall wrappers, the psABI's DWARF register numbers, and System V argument
// placement (registers, two-register structs, the stack, the hidden result pointer).
// Also: finding a target by name or ELF machine, and compile()'s `arch` option (arm64's
// own description is tested in arm64.test.ts).

import { describe, expect, it } from "vitest";
import { kernelFunction, loadKernelBtf, lookupStructId, structMembers } from "../../compiler/debuginfo/kernel-btf.js";
import { compile } from "../../compiler/index.js";
import { arm64 } from "../../compiler/target/arm64.js";
import { targetFor, targetOfMachine, type AbiType, type ArgPlace, type Register } from "../../compiler/target/index.js";
import { x86_64 } from "../../compiler/target/x86_64.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";

/** From ENVIRONMENT.md: x86-64 struct pt_regs offsets seen by a kprobe/uprobe program. */
const PT_REGS = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72, ax: 80,
  cx: 88, dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
};

/** Every Register the description names, with where it is named. */
function registers(): [string, Register][] {
  const t = x86_64;
  return [
    ...t.argRegs.map((r, i): [string, Register] => [`argRegs[${i}]`, r]),
    ["ret", t.ret], ["sp", t.sp],
    ...t.syscalls.args.map((r, i): [string, Register] => [`syscalls.args[${i}]`, r]),
    ...t.dwarfRegs.flatMap((r, i): [string, Register][] => (r ? [[`dwarfRegs[${i}]`, r]] : [])),
  ];
}

describe("x86_64: struct pt_regs", () => {
  it("has the offsets and size ENVIRONMENT.md lists", () => {
    expect(x86_64.ptRegs.offsets).toEqual(PT_REGS);
    expect(x86_64.ptRegs.size).toBe(168);
  });

  it("agrees with the running kernel's BTF for struct pt_regs, member by member", () => {
    const k = loadKernelBtf(VMLINUX);
    const id = lookupStructId(k, "pt_regs")!;
    expect(k.table.type(id)).toMatchObject({ kind: "struct", size: x86_64.ptRegs.size });
    const members = new Map(structMembers(k, id).map((m) => [m.name, m.offset]));
    for (const [name, off] of Object.entries(x86_64.ptRegs.offsets)) expect(members.get(name), name).toBe(off);
  });

  it("gives every register it names the pt_regs offset of that name", () => {
    for (const [where, r] of registers()) expect(r.ptRegs, where).toBe(x86_64.ptRegs.offsets[r.name]);
  });
});

describe("x86_64: calling convention and DWARF", () => {
  it("passes arguments in di si dx cx r8 r9 (DWARF 5 4 1 2 8 9), returns in ax, stack args from sp+8", () => {
    expect(x86_64.argRegs.map((r) => r.name)).toEqual(["di", "si", "dx", "cx", "r8", "r9"]);
    expect(x86_64.argRegs.map((r) => r.dwarf)).toEqual([5, 4, 1, 2, 8, 9]);
    expect(x86_64.ret).toEqual({ name: "ax", ptRegs: 80, dwarf: 0 });
    expect(x86_64.sp).toEqual({ name: "sp", ptRegs: 152, dwarf: 7 });
    expect(x86_64.stackArgs).toEqual({ offset: 8, slot: 8 });
  });

  it("maps DWARF registers 0-15 (rax .. r15) to pt_regs, and no others", () => {
    expect(x86_64.dwarfRegs.map((r) => r?.ptRegs)).toEqual([80, 96, 88, 40, 104, 112, 32, 152, 72, 64, 56, 48, 24, 16, 8, 0]);
    x86_64.dwarfRegs.forEach((r, n) => {
      expect(r!.dwarf).toBe(n);
      expect([`r${r!.name}`, r!.name]).toContain(x86_64.dwarfNames[n]); // rax is ax, r8 is r8
    });
    expect(x86_64.dwarfNames[16]).toBe("rip");
    expect(x86_64.dwarfNames[17]).toBe("xmm0");
    expect(x86_64.dwarfNames[32]).toBe("xmm15");
  });

  it("names the syscall wrappers as the kernel's BTF does: __x64_sys_<name>(const struct pt_regs *)", () => {
    const k = loadKernelBtf(VMLINUX);
    const fn = kernelFunction(k, `${x86_64.syscalls.prefix}openat`)!;
    expect(fn.params.length).toBe(1);
    expect(fn.params[0].type).toMatchObject({ kind: "ptr", to: { kind: "struct", name: "pt_regs" } });
    expect(x86_64.syscalls.args.map((r) => r.name)).toEqual(["di", "si", "dx", "r10", "r8", "r9"]);
  });
});

const LONG: AbiType = { kind: "int", size: 8, align: 8 };
const INT: AbiType = { kind: "int", size: 4, align: 4 };
const PTR: AbiType = { kind: "pointer", size: 8, align: 8 };
const INT128: AbiType = { kind: "int", size: 16, align: 16 };
const DOUBLE: AbiType = { kind: "float", size: 8, align: 8, complex: false, longDouble: false };
const VOID: AbiType = { kind: "void" };
function struct(...fields: AbiType[]): AbiType {
  const members = fields.map((type, i) => ({ offset: 8 * i, type }));
  return { kind: "struct", size: 8 * fields.length, members };
}

/** A placement spelled out: pt_regs names for registers it holds ("di+si", "sp+8"), assembler names otherwise ("xmm1+rsi"). */
function spell(p: ArgPlace): string {
  switch (p.kind) {
    case "regs": return p.regs.map((r) => r.name).join("+");
    case "mem": return `${p.base.name}+${p.offset}`;
    case "fpregs": return p.names.join("+");
  }
}

function place(result: AbiType, ...params: AbiType[]): string[] {
  return x86_64.placeArgs(result, params).map(spell);
}

describe("x86_64: System V argument placement", () => {
  it("puts integers and pointers in di si dx cx r8 r9, the 7th and 8th at sp+8 and sp+16", () => {
    expect(place(LONG, INT, PTR, LONG, INT, PTR, LONG, INT, PTR)).toEqual(["di", "si", "dx", "cx", "r8", "r9", "sp+8", "sp+16"]);
  });

  it("passes a 16-byte struct in two registers, and the next argument in the register after", () => {
    expect(place(VOID, INT, struct(LONG, PTR), INT)).toEqual(["di", "si+dx", "cx"]);
  });

  it("passes a 24-byte struct on the stack, leaving the registers to the next arguments", () => {
    expect(place(VOID, INT, struct(LONG, LONG, LONG), INT)).toEqual(["di", "sp+8", "si"]);
  });

  it("passes a 16-byte struct on the stack when only one register is left", () => {
    expect(place(VOID, LONG, LONG, LONG, LONG, LONG, struct(LONG, LONG), LONG)).toEqual(["di", "si", "dx", "cx", "r8", "sp+8", "r9"]);
  });

  it("aligns a 16-byte-aligned stack argument to 16", () => {
    expect(place(VOID, LONG, LONG, LONG, LONG, LONG, INT128, LONG)).toEqual(["di", "si", "dx", "cx", "r8", "sp+16", "r9"]);
  });

  it("gives a struct result over 16 bytes di for its hidden pointer; a 16-byte one none", () => {
    expect(place(struct(LONG, LONG, LONG), LONG, LONG)).toEqual(["si", "dx"]);
    expect(place(struct(LONG, LONG), LONG, LONG)).toEqual(["di", "si"]);
  });

  it("passes floating point in xmm registers, which pt_regs does not hold", () => {
    expect(place(VOID, DOUBLE, LONG, struct(DOUBLE, LONG))).toEqual(["xmm0", "di", "xmm1+rsi"]);
  });
});

describe("targets by name", () => {
  it("finds x86_64 and arm64 by their names and aliases, and the host's by default", () => {
    expect(targetFor("x86_64")).toBe(x86_64);
    expect(targetFor("x64")).toBe(x86_64);
    expect(targetFor("arm64")).toBe(arm64);
    expect(targetFor("aarch64")).toBe(arm64);
    expect(targetFor()).toBe(({ x64: x86_64, arm64 } as Record<string, unknown>)[process.arch]);
    expect(targetFor("mips")).toBeUndefined();
  });

  it("finds them by their binaries' ELF e_machine (EM_X86_64 62, EM_AARCH64 183)", () => {
    expect(targetOfMachine(62)).toBe(x86_64);
    expect(targetOfMachine(183)).toBe(arm64);
    expect(targetOfMachine(243)).toBeUndefined(); // RISC-V
  });

  it("compile() takes the architecture as an option, and refuses one it does not know", () => {
    const source = `import { tracepoint } from "bpftsc";\nexport const p = tracepoint("syscalls", "sys_enter_openat", () => 0);\n`;
    expect(compile({ fileName: "probe.ts", source, arch: "x86_64" }).diagnostics).toEqual([]);
    const bad = compile({ fileName: "probe.ts", source, arch: "mips" });
    expect(bad.object).toBeUndefined();
    expect(bad.diagnostics.map((d) => [d.code, d.message])).toEqual([[9001, "Unknown architecture 'mips'; bpftsc knows x86_64, arm64."]]);
  });
});
