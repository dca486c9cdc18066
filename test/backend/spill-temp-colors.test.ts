// colorSpillTemps on hand-made machine IR: a spill temporary takes a color none of the
// registers live beside it holds, a move partner's when free, and none at all (undefined,
// so that the allocator runs a whole round) when every color is live beside it.
import { describe, expect, it } from "vitest";
import { ALU } from "../../compiler/bpf/insn.js";
import { Asm, R0, R3, type MFunction, type MInst, type Reg } from "../../compiler/backend/mir.js";
import { colorSpillTemps } from "../../compiler/backend/spill-temp-colors.js";

const SLOT = { slot: 0, off: 0 };
/** Nothing is live out of the one block. */
const NONE_LIVE = new Map<number, Set<Reg>>([[0, new Set()]]);

/** One block ending in exit; `kept` vregs from 100 up, the temporary 99. */
function fn(insts: MInst[]): MFunction {
  return {
    name: "f", slots: [{ id: 0, size: 8, align: 8, name: "spill.0", spill: true }], nextReg: 200,
    hints: new Map(), spillTemps: new Set([99]),
    blocks: [{ id: 0, insts: [...insts, Asm.movImm(R0, 0)], term: Asm.exit() }],
  };
}

/** Defines each kept vreg, then `middle`, then stores each (so all are live across it). */
function around(kept: Reg[], middle: MInst[]): MInst[] {
  return [
    ...kept.map((v, k) => Asm.movImm(v, k)),
    ...middle,
    ...kept.map((v) => Asm.store(8, { base: 10, off: -8 }, v)),
  ];
}

describe("colorSpillTemps", () => {
  it("gives a reload temporary a color no register live beside it has", () => {
    const kept = new Map<Reg, Reg>([[100, 1], [101, 6], [102, 2]]);
    const f = fn(around([100, 101, 102], [Asm.load(99, 8, SLOT), Asm.alu(ALU.ADD, 100, 99)]));
    const colors = colorSpillTemps(f, kept, NONE_LIVE)!;
    expect(colors.get(100)).toBe(1);
    expect(colors.get(101)).toBe(6);
    expect([1, 6, 2]).not.toContain(colors.get(99));
    expect(colors.get(99)).toBe(3); // the first free one of R1, R2, R3, ...
  });

  it("counts registers live out of the block (the round's live-out sets) as live beside it", () => {
    const f: MFunction = {
      ...fn([]),
      blocks: [
        { id: 0, insts: [Asm.movImm(100, 7), Asm.load(99, 8, SLOT), Asm.store(8, { base: 10, off: -16 }, 99)], term: Asm.jmp(1) },
        { id: 1, insts: [Asm.store(8, { base: 10, off: -8 }, 100), Asm.movImm(R0, 0)], term: Asm.exit() },
      ],
    };
    const kept = new Map<Reg, Reg>([[100, 1]]);
    const liveOut = new Map<number, Set<Reg>>([[0, new Set([100])], [1, new Set()]]);
    expect(colorSpillTemps(f, kept, liveOut)!.get(99)).toBe(2);
  });

  it("takes the color of a register it is copied to, when free", () => {
    const kept = new Map<Reg, Reg>([[100, 1]]);
    const f = fn(around([100], [Asm.load(99, 8, SLOT), Asm.mov(R3, 99), Asm.alu(ALU.ADD, 100, R3)]));
    expect(colorSpillTemps(f, kept, NONE_LIVE)!.get(99)).toBe(R3);
  });

  it("gives up when all ten colors are live beside the temporary", () => {
    const regs = Array.from({ length: 10 }, (_, k) => 100 + k);
    const kept = new Map<Reg, Reg>(regs.map((v, k) => [v, k]));
    const f = fn(around(regs, [Asm.load(99, 8, SLOT), Asm.alu(ALU.ADD, 100, 99)]));
    expect(colorSpillTemps(f, kept, NONE_LIVE)).toBeUndefined();
    // With one of them dead by then, its color is the temporary's.
    const nine = fn(around(regs.slice(1), [Asm.movImm(100, 0), Asm.store(8, { base: 10, off: -8 }, 100), Asm.load(99, 8, SLOT), Asm.alu(ALU.ADD, 101, 99)]));
    expect(colorSpillTemps(nine, kept, NONE_LIVE)!.get(99)).toBe(0);
  });
});
