// The IR clean-up against its input on random programs (test/backend/support/random-ir.ts):
// the cleaned-up copy, run directly, returns the same value and makes the same helper
// calls as the lowered function, for several contexts per program (map lookups' arguments
// are stack addresses, which slot sharing may change; the pure helpers' are values).

import { describe, expect, it } from "vitest";
import { cleanupFunction } from "../../compiler/ir/cleanup.js";
import { ctxOf, makeEnv } from "../backend/support/env.js";
import { runIr } from "../backend/support/ir.js";
import type { HelperCall } from "../backend/support/machine.js";
import { randomProgram } from "../backend/support/random-ir.js";

const values = (c: HelperCall): unknown => (c.id === 1 ? c.id : c);
const CONTEXTS = [ctxOf(0n, 1n, 2n, 3n, 4n, 5n, 6n), ctxOf(-1n, 7n, 1n << 40n, 255n, -8n, 3n, 9n), ctxOf(5n, 5n, 5n, 0n, 0n, 1n, 2n)];

describe("IR clean-up keeps what a program computes", () => {
  it("random programs: same result and helper calls before and after", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { ir } = randomProgram(seed, 1 + (seed % 8));
      const out = cleanupFunction(ir);
      for (const ctx of CONTEXTS) {
        const want = runIr(ir, makeEnv(ctx));
        const got = runIr(out, makeEnv(ctx));
        expect({ seed, r0: got.r0, calls: got.calls.map(values) }).toEqual({ seed, r0: want.r0, calls: want.calls.map(values) });
      }
    }
  });
});
