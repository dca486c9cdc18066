// Parameter locations at a function's first instruction (a uprobe on its symbol): from the
// target's calling convention (System V on x86-64, AAPCS64 on arm64) for -O0 code, whose
// DWARF names stack homes the prologue has not filled yet. The oracle is the compiler
// itself: gcc -O2 DWARF (the cross gcc's for arm64) describes the same parameters at the
// entry of the same functions, as llvm-dwarfdump shows.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { entryLocations, findFunction, locationAt, readDebugInfo, type LocExpr } from "../../compiler/debuginfo/dwarf.js";
import { arm64 } from "../../compiler/target/arm64.js";
import type { Target } from "../../compiler/target/index.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { build, dwarfdumpTree, oAddr, oExpectedLoc, oFunction, oLocation } from "./dwarf-oracle.js";

const FUNCS = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "take_enum", "walk", "optimized", "by_value", "barrier", "early"];

/** Per architecture: its gcc, the CFA at a function's entry (sp + 8 past x86-64's return
 *  address; sp itself on arm64) and its first floating-point DWARF register (xmm0, v0). */
interface Arch { target: Target; gcc: string; clang: string[]; cfaOffset: bigint; fp0: number }
const X86_64: Arch = { target: x86_64, gcc: "gcc", clang: [], cfaOffset: 8n, fp0: 17 };
const ARM64: Arch = { target: arm64, gcc: "aarch64-linux-gnu-gcc", clang: ["--target=aarch64-linux-gnu", "-c"], cfaOffset: 0n, fp0: 64 };

/** What gcc -O2's DWARF says each parameter of `name` is at the function's entry, as a LocExpr at that pc. */
function oracleEntry(arch: Arch, name: string): (Record<string, unknown> | null | undefined)[] {
  const bin = build(arch.gcc, ["-g", "-O2"]);
  const tree = dwarfdumpTree(bin);
  const o = oFunction(tree, name)!;
  expect(o.attrs.get("DW_AT_frame_base")).toBe("DW_OP_call_frame_cfa");
  const lo = oAddr(o, "DW_AT_low_pc")!;
  return o.children.filter((c) => c.tag === "DW_TAG_formal_parameter").map((p) => {
    const l = oLocation(p);
    const e = l?.entries.find((x) => x.lo === undefined || (lo >= x.lo && lo < x.hi!));
    if (!e) return undefined; // optimized out at entry: nothing to compare
    const want = oExpectedLoc(e.ops);
    // Frame base = CFA = the stack pointer at the entry, plus x86-64's return address.
    if (want.kind === "fbreg") return { kind: "breg", reg: arch.target.sp.dwarf, offset: arch.cfaOffset + (want.offset as bigint), deref: false };
    if (want.kind === "reg" && (want.reg as number) >= arch.fp0) return null; // a floating-point register
    return want;
  });
}

function check(arch: Arch, got: (LocExpr | undefined)[], want: (Record<string, unknown> | null | undefined)[], what: string): number {
  expect(got.length, what).toBe(want.length);
  let n = 0;
  const fp0 = arch.target.dwarfNames[arch.fp0]!;
  for (const [i, w] of want.entries()) {
    if (w === undefined) continue;
    if (w === null) {
      // A floating-point register: the ABI path says so in words; optimized DWARF names it.
      const g = got[i]!;
      expect((g.kind === "unsupported" && new RegExp(`\\b${fp0}\\b`).test(g.ops)) || (g.kind === "reg" && g.reg === arch.fp0), `${what} #${i}`).toBe(true);
    }
    else expect(got[i], `${what} #${i}`).toEqual(w);
    n++;
  }
  return n;
}

describe.each([
  { label: "gcc -g -O0", arch: X86_64, cc: "gcc", flags: ["-g", "-O0"] },
  { label: "gcc -gdwarf-4 -O0", arch: X86_64, cc: "gcc", flags: ["-gdwarf-4", "-O0"] },
  { label: "clang -g -O0", arch: X86_64, cc: "clang", flags: ["-g", "-O0"] },
  { label: "gcc -g -O2 (the DWARF's own entry locations)", arch: X86_64, cc: "gcc", flags: ["-g", "-O2"] },
  { label: "arm64: gcc -g -O0", arch: ARM64, cc: ARM64.gcc, flags: ["-g", "-O0"] },
  { label: "arm64: gcc -gdwarf-4 -O0", arch: ARM64, cc: ARM64.gcc, flags: ["-gdwarf-4", "-O0"] },
  { label: "arm64: clang -g -O0 (an object file)", arch: ARM64, cc: "clang", flags: [...ARM64.clang, "-g", "-O0"] },
  { label: "arm64: gcc -g -O2 (the DWARF's own entry locations)", arch: ARM64, cc: ARM64.gcc, flags: ["-g", "-O2"] },
])("$label", ({ arch, cc, flags }) => {
  const info = readDebugInfo(readFileSync(build(cc, flags)), arch.target)!;

  it.each(FUNCS)("%s: entry locations are where gcc -O2's DWARF puts the parameters at entry", (name) => {
    const fn = findFunction(info, name)!;
    check(arch, entryLocations(fn), oracleEntry(arch, name), name);
  });

  it("-O0 DWARF alone would be wrong at entry (stack homes below the CFA), so the ABI is needed", () => {
    if (flags.includes("-O2")) return;
    const fn = findFunction(info, "f4")!;
    expect(fn.params.every((p) => locationAt(p, fn.lowPc)?.kind === "fbreg")).toBe(true);
    expect(entryLocations(fn).map((l) => l!.kind)).toEqual(["reg", "reg", "reg", "reg"]);
  });
});

describe("the uprobe harness target args.c (-O0)", () => {
  it("puts the 7th and 8th arguments on the stack at rsp+8 and rsp+16, the rest in rdi..r9", () => {
    const src = new URL("../harness/targets/args.c", import.meta.url).pathname;
    const info = readDebugInfo(readFileSync(build("gcc", ["-g", "-O0"], src)), x86_64)!;
    const regs = [5, 4, 1, 2, 8, 9].map((reg) => ({ kind: "reg", reg }));
    expect(entryLocations(findFunction(info, "args6")!)).toEqual(regs);
    expect(entryLocations(findFunction(info, "args7")!)).toEqual([...regs, { kind: "breg", reg: 7, offset: 8n, deref: false }]);
    expect(entryLocations(findFunction(info, "args8")!)).toEqual([
      ...regs, { kind: "breg", reg: 7, offset: 8n, deref: false }, { kind: "breg", reg: 7, offset: 16n, deref: false },
    ]);
  });
});
