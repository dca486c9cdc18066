// btf-abi.ts: the running kernel's BTF types as the calling convention sees them, placed
// by the x86-64 target. The oracle for every FUNC in vmlinux is the rule that System V
// comes down to for code built without floating point, as the kernel is: an argument of
// up to 16 bytes takes one integer register per eightbyte while they last, anything else
// goes on the stack at sp+8, sp+16, ..., and a struct result over 16 bytes takes rdi.

import { beforeAll, describe, expect, it } from "vitest";
import { btfAbiType } from "../../compiler/debuginfo/btf-abi.js";
import { kernelFunction, loadKernelBtf, type KernelBtf, type KernelFunction } from "../../compiler/debuginfo/kernel-btf.js";
import type { ArgPlace } from "../../compiler/target/index.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { sizeOf } from "../../compiler/types/ctype.js";

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
