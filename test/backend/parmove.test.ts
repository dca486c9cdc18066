// The parallel copy of call arguments: every assignment of sources (R0..R5, repeats allowed)
// to destinations R1..Rn, run as the emitted sequence on a register file, must give each
// destination its source's old value and leave R6..R9 alone.

import { describe, expect, it } from "vitest";
import { sequentializeMoves, type RegMove } from "../../compiler/backend/parmove.js";

const SCRATCH = [0, 1, 2, 3, 4, 5];

function simulate(moves: RegMove[]): number[] {
  const regs = Array.from({ length: 10 }, (_, r) => 100 + r);
  for (const m of sequentializeMoves(moves, SCRATCH)) regs[m.dst] = regs[m.src]!;
  return regs;
}

describe("sequentializeMoves", () => {
  it("realizes every parallel copy into R1..Rn from R0..R5", () => {
    let count = 0;
    for (let n = 1; n <= 5; n++) {
      const total = 6 ** n;
      for (let code = 0; code < total; code++) {
        const moves: RegMove[] = [];
        let c = code;
        for (let k = 0; k < n; k++) { moves.push({ dst: k + 1, src: c % 6 }); c = Math.floor(c / 6); }
        const regs = simulate(moves);
        for (const m of moves) expect(regs[m.dst]).toBe(100 + m.src);
        for (let r = 6; r < 10; r++) expect(regs[r]).toBe(100 + r);
        count++;
      }
    }
    expect(count).toBe(6 + 36 + 216 + 1296 + 7776);
  });

  it("swaps with three moves through a free register", () => {
    expect(sequentializeMoves([{ dst: 1, src: 2 }, { dst: 2, src: 1 }], SCRATCH)).toEqual([
      { dst: 0, src: 1 }, { dst: 1, src: 2 }, { dst: 2, src: 0 },
    ]);
  });

  it("emits nothing for moves already in place and orders a chain", () => {
    expect(sequentializeMoves([{ dst: 1, src: 1 }], SCRATCH)).toEqual([]);
    expect(sequentializeMoves([{ dst: 2, src: 1 }, { dst: 3, src: 2 }], SCRATCH)).toEqual([
      { dst: 3, src: 2 }, { dst: 2, src: 1 },
    ]);
  });
});
