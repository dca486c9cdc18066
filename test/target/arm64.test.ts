// The arm64 target description against the facts: Debian's arm64 6.1 cloud kernel's own
// BTF for struct pt_regs and the syscall wrappers (the package is downloaded and cached as
// the guest tests' kernels are: test/guest/kernels.ts), DWARF for the Arm 64-bit
// Architecture's register numbers, and AAPCS64 argument placement as gcc 12
// (aarch64-linux-gnu-gcc -O2) compiles the same prototypes: the registers and stack
// offsets each case below expects are the ones gcc's code reads them from.

import { beforeAll, describe, expect, it } from "vitest";
import { kernelFunction, loadKernelBtf, lookupStructId, structMembers, type KernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { arm64 } from "../../compiler/target/arm64.js";
import type { AbiType, ArgPlace, Register } from "../../compiler/target/index.js";
import { prepareKernel } from "../guest/kernels.js";

let k: KernelBtf;
beforeAll(() => {
  k = loadKernelBtf(prepareKernel("6.1-arm64").btf);
}, 600_000);

/** Every Register the description names, with where it is named. */
function registers(): [string, Register][] {
  const t = arm64;
  return [
    ...t.argRegs.map((r, i): [string, Register] => [`argRegs[${i}]`, r]),
    ["ret", t.ret], ["sp", t.sp],
    ...t.syscalls.args.map((r, i): [string, Register] => [`syscalls.args[${i}]`, r]),
    ...t.dwarfRegs.flatMap((r, i): [string, Register][] => (r ? [[`dwarfRegs[${i}]`, r]] : [])),
  ];
}

describe("arm64: struct pt_regs", () => {
  it("agrees with the arm64 kernel's BTF member by member: regs[31], sp, pc, pstate, orig_x0, syscallno; 336 bytes", () => {
    const id = lookupStructId(k, "pt_regs")!;
    expect(k.table.type(id)).toMatchObject({ kind: "struct", size: arm64.ptRegs.size });
    const members = new Map(structMembers(k, id).map((m) => [m.name, m]));
    expect(members.get("regs")?.type).toMatchObject({ kind: "array", length: 31, elem: { kind: "int", size: 8 } });
    const expected = Object.entries(arm64.ptRegs.offsets).map(([name]) => {
      const [, member, index] = /^(\w+)(?:\[(\d+)\])?$/.exec(name)!;
      return [name, members.get(member!)!.offset + 8 * Number(index ?? 0)];
    });
    expect(Object.entries(arm64.ptRegs.offsets)).toEqual(expected);
    expect(Object.keys(arm64.ptRegs.offsets)).toEqual([...Array.from({ length: 31 }, (_, n) => `regs[${n}]`), "sp", "pc", "pstate", "orig_x0", "syscallno"]);
    expect([arm64.ptRegs.offsets["regs[30]"], arm64.ptRegs.offsets.sp, arm64.ptRegs.offsets.syscallno]).toEqual([240, 248, 280]);
  });

  it("starts with user_pt_regs, the layout user space and the uapi see", () => {
    const user = new Map(structMembers(k, lookupStructId(k, "user_pt_regs")!).map((m) => [m.name, m.offset]));
    expect(user).toEqual(new Map([["regs", 0], ["sp", 248], ["pc", 256], ["pstate", 264]]));
  });

  it("gives every register it names the pt_regs offset of that name", () => {
    for (const [where, r] of registers()) expect(r.ptRegs, where).toBe(arm64.ptRegs.offsets[r.name]);
  });
});

describe("arm64: calling convention and DWARF", () => {
  it("passes arguments in x0-x7 (DWARF 0-7), returns in x0, stack args from sp+0", () => {
    expect(arm64.argRegs.map((r) => [r.name, r.ptRegs, r.dwarf])).toEqual(Array.from({ length: 8 }, (_, n) => [`regs[${n}]`, 8 * n, n]));
    expect(arm64.ret).toEqual({ name: "regs[0]", ptRegs: 0, dwarf: 0 });
    expect(arm64.sp).toEqual({ name: "sp", ptRegs: 248, dwarf: 31 });
    expect(arm64.stackArgs).toEqual({ offset: 0, slot: 8 });
    expect(arm64.elfMachine).toBe(183);
  });

  it("maps DWARF registers 0-30 to regs[0..30], 31 to sp and 32 to pc, and names v0-v31 64-95", () => {
    expect(arm64.dwarfRegs.map((r) => r?.name)).toEqual([...Array.from({ length: 31 }, (_, n) => `regs[${n}]`), "sp", "pc"]);
    arm64.dwarfRegs.forEach((r, n) => expect(r!.dwarf).toBe(n));
    expect([0, 30, 31, 32, 64, 95].map((n) => arm64.dwarfNames[n])).toEqual(["x0", "x30", "sp", "pc", "v0", "v31"]);
  });

  it("names the syscall wrappers as the arm64 kernel's BTF does: __arm64_sys_<name>(const struct pt_regs *)", () => {
    const fn = kernelFunction(k, `${arm64.syscalls.prefix}openat`)!;
    expect(fn.params.length).toBe(1);
    expect(fn.params[0].type).toMatchObject({ kind: "ptr", to: { kind: "struct", name: "pt_regs" } });
    expect(kernelFunction(k, "__x64_sys_openat")).toBeUndefined();
    expect(arm64.syscalls.args.map((r) => r.name)).toEqual(["regs[0]", "regs[1]", "regs[2]", "regs[3]", "regs[4]", "regs[5]"]);
  });
});

const LONG: AbiType = { kind: "int", size: 8, align: 8 };
const INT: AbiType = { kind: "int", size: 4, align: 4 };
const SHORT: AbiType = { kind: "int", size: 2, align: 2 };
const CHAR: AbiType = { kind: "int", size: 1, align: 1 };
const INT128: AbiType = { kind: "int", size: 16, align: 16 };
const FLOAT: AbiType = { kind: "float", size: 4, align: 4, complex: false, longDouble: false };
const DOUBLE: AbiType = { kind: "float", size: 8, align: 8, complex: false, longDouble: false };
const LONG_DOUBLE: AbiType = { kind: "float", size: 16, align: 16, complex: false, longDouble: true };
const COMPLEX_DOUBLE: AbiType = { kind: "float", size: 16, align: 8, complex: true, longDouble: false };
const VOID: AbiType = { kind: "void" };
const EMPTY: AbiType = { kind: "struct", size: 0, members: [] };

/** A struct of these members, each at its natural alignment. */
function struct(...fields: AbiType[]): AbiType {
  let at = 0, align = 1;
  const members = fields.map((type) => {
    const a = "align" in type && type.align ? type.align : 1;
    at = Math.ceil(at / a) * a;
    align = Math.max(align, a);
    const m = { offset: at, type };
    at += "size" in type ? type.size : 0;
    return m;
  });
  return { kind: "struct", size: Math.ceil(at / align) * align, members };
}

const BIG = struct(LONG, LONG, LONG);
const MIX = struct(DOUBLE, LONG);

/** A placement spelled out: pt_regs names for registers ("regs[0]+regs[1]", "sp+8", "*regs[6]" for
 *  memory a register points at, "*(sp+0)" for a reference on the stack), assembler names otherwise. */
function spell(p: ArgPlace): string {
  switch (p.kind) {
    case "regs": return p.regs.map((r) => r.name).join("+");
    case "mem": return p.deref ? `*(${p.base.name}+${p.offset})` : p.base.name === "sp" ? `sp+${p.offset}` : `*${p.base.name}+${p.offset}`;
    case "fpregs": return p.names.join("+");
  }
}

function place(result: AbiType, ...params: AbiType[]): string[] {
  return arm64.placeArgs(result, params).map(spell);
}

const x = (...n: number[]) => n.map((i) => `regs[${i}]`).join("+");
const LONGS = (n: number) => Array<AbiType>(n).fill(LONG);

describe("arm64: AAPCS64 argument placement (as gcc 12 compiles each prototype)", () => {
  it("puts integers and pointers in x0-x7, the 9th and 10th at sp+0 and sp+8 (a char too takes an 8-byte slot)", () => {
    expect(place(LONG, ...LONGS(8), CHAR, LONG)).toEqual([x(0), x(1), x(2), x(3), x(4), x(5), x(6), x(7), "sp+0", "sp+8"]);
  });

  it("passes a composite of up to 16 bytes in one or two x registers, floating-point members and all", () => {
    expect(place(LONG, INT, MIX, LONG)).toEqual([x(0), x(1, 2), x(3)]); // struct { double d; long l; }
    expect(place(LONG, struct(INT, SHORT), LONG)).toEqual([x(0), x(1)]); // 8 bytes: one register
  });

  it("passes a composite over 16 bytes by reference: the register holds the copy's address", () => {
    expect(place(LONG, LONG, BIG, LONG)).toEqual([x(0), "*regs[1]+0", x(2)]);
  });

  it("starts a 16-byte-aligned argument at an even register; an aligned attribute on the type alone does not count", () => {
    expect(place(LONG, LONG, INT128, LONG)).toEqual([x(0), x(2, 3), x(4)]);
    expect(place(LONG, LONG, struct(INT128), LONG)).toEqual([x(0), x(2, 3), x(4)]);
    const declared16: AbiType = { kind: "struct", size: 16, align: 16, members: [{ offset: 0, type: LONG }, { offset: 8, type: LONG }] };
    expect(place(LONG, LONG, declared16, LONG)).toEqual([x(0), x(1, 2), x(3)]);
  });

  it("sends a composite that does not fit the x registers left to the stack, and every later argument after it", () => {
    expect(place(LONG, ...LONGS(7), MIX, LONG)).toEqual([x(0), x(1), x(2), x(3), x(4), x(5), x(6), "sp+0", "sp+16"]);
  });

  it("puts a reference past x7 on the stack, which a kprobe cannot follow in one read", () => {
    expect(place(LONG, ...LONGS(8), BIG, LONG)).toEqual([...LONGS(8).map((_, i) => x(i)), "*(sp+0)", "sp+8"]);
  });

  it("passes floating point and HFAs (up to four members of one type) in v registers, which pt_regs does not hold", () => {
    expect(place(LONG, LONG, struct(DOUBLE, DOUBLE), LONG)).toEqual([x(0), "v0+v1", x(1)]);
    expect(place(LONG, LONG, struct(FLOAT, FLOAT, FLOAT))).toEqual([x(0), "v0+v1+v2"]);
    expect(place(LONG, LONG, LONG_DOUBLE, COMPLEX_DOUBLE, DOUBLE)).toEqual([x(0), "v0", "v1+v2", "v3"]);
    expect(place(LONG, struct(DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE))).toEqual(["*regs[0]+0"]); // five members: no HFA
  });

  it("sends an HFA that does not fit the v registers left to the stack, and every later floating-point argument", () => {
    const seven = Array<AbiType>(7).fill(DOUBLE);
    expect(place(LONG, ...seven, struct(FLOAT, FLOAT, FLOAT), DOUBLE, LONG)).toEqual([...seven.map((_, i) => `v${i}`), "sp+0", "sp+16", x(0)]);
  });

  it("gives an empty struct neither a register nor stack, and a large struct result x8, not an argument register", () => {
    expect(place(LONG, LONG, EMPTY, LONG)).toEqual([x(0), "sp+0", x(1)]);
    expect(place(BIG, LONG, LONG)).toEqual([x(0), x(1)]);
    expect(place(VOID)).toEqual([]);
  });
});
