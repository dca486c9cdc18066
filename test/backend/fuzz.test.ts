// Random IR programs (support/random-ir.ts) compiled and run on the test BPF
// machine, against the IR run directly: same result, same helper calls in the same order
// with the same arguments. The machine faults on any read of an unwritten or call-clobbered
// register or unwritten stack, so allocator mistakes show up even when values happen to agree.

import { describe, expect, it } from "vitest";
import { compileFunction } from "../../compiler/backend/index.js";
import { formatInsn } from "../../compiler/bpf/disasm.js";
import { ctxOf, runBoth } from "./support/env.js";
import { longRandomProgram, randomProgram } from "./support/random-ir.js";
import { u64, type HelperCall } from "./support/machine.js";

const calls = (cs: HelperCall[]): HelperCall[] => cs.map((c) => (c.id === 1 ? { id: 1, args: [c.args[0]!] } : c));

function randomCtx(r: () => number): Uint8Array {
  return ctxOf(...Array.from({ length: 8 }, () => BigInt(Math.floor(r() * 2 ** 32)) * BigInt(Math.floor(r() * 2 ** 32)) - (1n << 62n)));
}

describe("random programs", () => {
  it.each([[4, "v3"], [12, "v3"], [24, "v3"], [12, "v4"]] as const)("agree with the IR run (pressure %i, CPU %s)", (pressure, cpu) => {
    for (let seed = 1; seed <= 120; seed++) {
      const { ir, r } = randomProgram(seed * 7919 + pressure, pressure);
      const mc = compileFunction(ir, { cpu });
      for (const i of mc.insns) expect(formatInsn(i), `seed ${seed}`).not.toBe("<unknown>");
      expect(mc.lines).toEqual([]);
      for (let k = 0; k < 3; k++) {
        const out = runBoth(ir, mc, randomCtx(r));
        expect(u64(out.bpf.r0), `seed ${seed}`).toBe(u64(out.ir.r0));
        expect(calls(out.bpf.calls), `seed ${seed}`).toEqual(calls(out.ir.calls));
      }
    }
  });
});

describe("a long random program", () => {
  // Thousands of values, four of them live throughout: the allocator's paths for large
  // graphs (long adjacency lists kept when coalescing) have to produce correct code too.
  it("agrees with the IR run", () => {
    const { ir, r } = longRandomProgram(4242, 12, 1500);
    const mc = compileFunction(ir);
    expect(mc.insns.length).toBeGreaterThan(10000);
    for (let k = 0; k < 3; k++) {
      const out = runBoth(ir, mc, randomCtx(r));
      expect(u64(out.bpf.r0)).toBe(u64(out.ir.r0));
      expect(calls(out.bpf.calls)).toEqual(calls(out.ir.calls));
    }
  });
});
