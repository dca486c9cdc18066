// btf-abi.ts: the running kernel's BTF types as the calling convention sees them, placed
// by the x86-64 target, and Debian's arm64 kernel's, placed by the arm64 target. The
// oracle for every FUNC is the rule that the calling convention comes down to for code
// built without floating point, as the kernel is. System V: an argument of up to 16 bytes
// takes one integer register per eightbyte while they last, anything else goes on the
// stack at sp+8, sp+16, ..., and a struct result over 16 bytes takes rdi. AAPCS64: see
// aapcs64IntegerRule.

import { beforeAll, describe, expect, it } from "vitest";
import { btfAbiType } from "../../compiler/debuginfo/btf-abi.js";
import { kernelFunction, loadKernelBtf, type KernelBtf, type KernelFunction } from "../../compiler/debuginfo/kernel-btf.js";
import { arm64 } from "../../compiler/target/arm64.js";
import type { ArgPlace } from "../../compiler/target/index.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { sizeOf } from "../../compiler/types/ctype.js";
import { prepareKernel } from "../guest/kernels.js";

function spell(p: ArgPlace): string {
  switch (p.kind) {
    case "regs": return p.regs.map((r) => r.name).join("+");
    case "mem": return `${p.base.name}+${p.offset}`;
    case "fpregs": return p.names.join("+");
  }
}

function placed(k: KernelBtf, fn: KernelFunction): string[] {
  return x86_64.placeArgs(btfAbiType(k.table, fn.retTypeId), fn.params.map((p) => btfAbiType(k.table, p.typeId))).map(spell);
}

/** The integer-only rule, from the CTypes kernel-btf.ts converts the prototype to. */
function integerRule(fn: KernelFunction): string[] {
  const regs = x86_64.argRegs.map((r) => r.name);
  let next = fn.ret.kind === "struct" && sizeOf(fn.ret) > 16 ? 1 : 0;
  let stack = 8;
  return fn.params.map((p) => {
    const words = p.type.kind === "struct" ? Math.ceil(sizeOf(p.type) / 8) : 1;
    if (words <= 2 && next + words <= regs.length) return regs.slice(next, (next += words)).join("+");
    const at = `sp+${stack}`;
    stack += 8 * words;
    return at;
  });
}

describe("kernel function arguments placed from BTF", () => {
  let k: KernelBtf;
  beforeAll(() => {
    k = loadKernelBtf("/sys/kernel/btf/vmlinux");
  });

  it("puts every FUNC's arguments where the integer-only rule does (functions taking an empty struct aside)", () => {
    let n = 0;
    const wrong: string[] = [];
    for (const id of k.table.idsOfKind("func")) {
      const fn = kernelFunction(k, k.table.nameOf(id))!;
      // A 128-bit integer or a float converts to void; an empty struct is the case below.
      if (fn.params.some((p) => p.type.kind === "void" || (p.type.kind === "struct" && p.type.size === 0))) continue;
      const got = placed(k, fn).join(", "), want = integerRule(fn).join(", ");
      if (got !== want) wrong.push(`${fn.name}: ${got} (want ${want})`);
      n++;
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(50_000);
  });

  it("gives an empty struct argument no register, as gcc does (io_uring's io_tw_token_t)", () => {
    const fn = kernelFunction(k, "__io_run_local_work")!;
    expect(fn, "this kernel has __io_run_local_work").toBeDefined();
    expect(fn.params.map((p) => p.name)).toEqual(["ctx", "tw", "min_events", "max_events"]);
    expect(placed(k, fn).filter((_, i) => i !== 1)).toEqual(["di", "si", "dx"]);
  });

  it("passes a union that BTF sizes but lists no members of (release_pages_arg) in an integer register", () => {
    const fn = kernelFunction(k, "release_pages")!;
    expect(fn, "this kernel has release_pages").toBeDefined();
    expect(btfAbiType(k.table, fn.params[0].typeId)).toEqual({ kind: "array", elem: { kind: "int", size: 1, align: 1 }, count: 8 });
    expect(placed(k, fn)).toEqual(["di", "si"]);
  });
});

/** AAPCS64 for code without floating point: an argument of up to 16 bytes takes one x
 *  register per 8 bytes while they last (then the stack, and no register after), a
 *  larger struct is passed by reference (its address takes one), stack slots from sp+0. */
function aapcs64IntegerRule(fn: KernelFunction): string[] {
  let next = 0;
  let stack = 0;
  const onStack = (words: number, deref: boolean) => {
    next = 8;
    const at = deref ? `*(sp+${stack})` : `sp+${stack}`;
    stack += 8 * words;
    return at;
  };
  return fn.params.map((p) => {
    const size = p.type.kind === "struct" ? sizeOf(p.type) : 8;
    if (size === 0) return `sp+${stack}`;
    if (size > 16) return next < 8 ? `*regs[${next++}]+0` : onStack(1, true);
    const words = Math.ceil(size / 8);
    if (next + words <= 8) return Array.from({ length: words }, () => `regs[${next++}]`).join("+");
    return onStack(words, false);
  });
}

function spellArm64(p: ArgPlace): string {
  switch (p.kind) {
    case "regs": return p.regs.map((r) => r.name).join("+");
    case "mem": return p.deref ? `*(${p.base.name}+${p.offset})` : p.base.name === "sp" ? `sp+${p.offset}` : `*${p.base.name}+${p.offset}`;
    case "fpregs": return p.names.join("+");
  }
}

describe("kernel function arguments placed from the arm64 kernel's BTF (Debian's 6.1 arm64 cloud kernel)", () => {
  let k: KernelBtf;
  beforeAll(() => {
    k = loadKernelBtf(prepareKernel("6.1-arm64").btf);
  }, 600_000);

  it("puts every FUNC's arguments where the integer-only AAPCS64 rule does", () => {
    let n = 0;
    const wrong: string[] = [];
    for (const id of k.table.idsOfKind("func")) {
      const fn = kernelFunction(k, k.table.nameOf(id))!;
      if (fn.params.some((p) => p.type.kind === "void")) continue; // a 128-bit integer or a float
      const got = arm64.placeArgs(btfAbiType(k.table, fn.retTypeId), fn.params.map((p) => btfAbiType(k.table, p.typeId))).map(spellArm64).join(", ");
      const want = aapcs64IntegerRule(fn).join(", ");
      if (got !== want) wrong.push(`${fn.name}: ${got} (want ${want})`);
      n++;
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(40_000); // 42659 FUNCs on 6.1.0-57-cloud-arm64
  });
});
