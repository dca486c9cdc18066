// Tail merging (compiler/backend/tail-merge.ts) on hand-built allocated machine IR: which
// blocks keep one copy of a tail, and that the emitted code still computes the same.

import { describe, expect, it } from "vitest";
import { emitMachineCode } from "../../compiler/backend/emit.js";
import type { Frame } from "../../compiler/backend/frame.js";
import { Asm, R0, R1, R2, R3, printInst, type MBlock, type MFunction } from "../../compiler/backend/mir.js";
import { mergeTails } from "../../compiler/backend/tail-merge.js";
import { JMP } from "../../compiler/bpf/insn.js";
import type { StructType } from "../../compiler/types/ctype.js";
import { ctxOf, makeEnv } from "./support/env.js";
import { runBpf } from "./support/machine.js";

const NO_FRAME: Frame = { offsets: new Map(), size: 0 };

/** Loads the context's first word into r1 and branches on it to block 1 (zero) or 2,
 *  which both jump to `join`, or return. */
function diamond(one: MBlock["insts"], two: MBlock["insts"], join?: MBlock): MFunction {
  const end = join ? Asm.jmp(join.id) : Asm.exit();
  return {
    name: "f", slots: [], nextReg: 16, hints: new Map(), spillTemps: new Set(),
    blocks: [
      { id: 0, insts: [Asm.movImm(R0, 0), Asm.load(R1, 8, { base: R1, off: 0 })], term: Asm.br(JMP.JEQ, R1, { imm: 0 }, 1, 2) },
      { id: 1, insts: one, term: end },
      { id: 2, insts: two, term: end },
      ...(join ? [join] : []),
    ],
  };
}

const copy = (mf: MFunction): MFunction => ({ ...mf, blocks: mf.blocks.map((b) => ({ ...b, insts: [...b.insts] })) });
const results = (mf: MFunction, frame = NO_FRAME): bigint[] => [0n, 1n].map((v) => runBpf(emitMachineCode(copy(mf), frame), makeEnv(ctxOf(v))).r0);
const size = (mf: MFunction, frame = NO_FRAME): number => emitMachineCode(copy(mf), frame).insns.length;
const listing = (mf: MFunction): string[][] => mf.blocks.map((b) => [...b.insts.map(printInst), b.term.k === "jmp" ? `jmp ${b.term.target}` : b.term.k]);

describe("tail merging", () => {
  it("keeps one copy of three instructions two arms end with, where the path through it falls into what follows", () => {
    const tail = () => [Asm.mov(R3, R2), Asm.aluImm(0x00 /* ADD */, R3, 4), Asm.alu(0x00, R0, R3)];
    const mf = diamond([Asm.movImm(R2, 1), ...tail()], [Asm.movImm(R2, 2), ...tail()], { id: 3, insts: [], term: Asm.exit() });
    const before = { results: results(mf), size: size(mf) };
    mergeTails(mf, NO_FRAME);
    expect(listing(mf)).toEqual([
      ["r0 = 0", "r1 = *(u64 *)(r1 + 0)", "br"],
      ["r2 = 1", "jmp 4"],
      ["r2 = 2", "jmp 4"],
      ["r3 = r2", "r3 += 4", "r0 += r3", "jmp 3"],
      ["exit"],
    ]);
    expect(results(mf)).toEqual(before.results);
    expect(size(mf)).toBeLessThan(before.size);
  });

  it("leaves a one-instruction tail where joining it would make a path a goto longer", () => {
    const mf = diamond([Asm.movImm(R2, 1), Asm.movImm(R0, 0)], [Asm.movImm(R2, 2), Asm.movImm(R0, 0)]);
    const before = listing(mf);
    mergeTails(mf, NO_FRAME);
    expect(listing(mf)).toEqual(before);
  });

  it("sends a block that is nothing but `r0 = C; exit` to another's exit of the same constant", () => {
    const mf = diamond([Asm.movImm(R2, 1), Asm.call(5, 0), Asm.movImm(R0, 7)], [Asm.movImm(R0, 7)]);
    mf.blocks[0]!.term = Asm.br(JMP.JEQ, R1, { imm: 0 }, 2, 1); // block 2 reached by a jump, not by falling in
    const before = results(mf);
    mergeTails(mf, NO_FRAME);
    expect(listing(mf).slice(1)).toEqual([["r2 = 1", "call 5", "jmp 3"], ["r0 = 7", "exit"], ["jmp 3"]]);
    expect(results(mf)).toEqual(before);
  });

  it("compares stack slots by their place in the frame, and a CO-RE relocation only with itself", () => {
    const sameSlot = diamond(
      [Asm.movImm(R2, 1), Asm.storeImm(8, { slot: 0, off: 0 }, 3), Asm.load(R0, 8, { slot: 0, off: 0 }), Asm.aluImm(0x00, R0, 1)],
      [Asm.movImm(R2, 2), Asm.storeImm(8, { slot: 1, off: 0 }, 3), Asm.load(R0, 8, { slot: 1, off: 0 }), Asm.aluImm(0x00, R0, 1)],
    );
    const frame: Frame = { offsets: new Map([[0, -8], [1, -8]]), size: 8 };
    mergeTails(sameSlot, frame);
    expect(sameSlot.blocks).toHaveLength(4);
    expect(results(sameSlot, frame)).toEqual([4n, 4n]);

    const root: StructType = { kind: "struct", name: "task_struct", size: 8, align: 8, fields: [] };
    const tagged = (): MBlock["insts"] => [{ k: "movi", dst: R0, imm: 8, core: { root, field: "pid", kind: 0 } }];
    const relocated = diamond([Asm.movImm(R2, 1), ...tagged()], tagged());
    relocated.blocks[0]!.term = Asm.br(JMP.JEQ, R1, { imm: 0 }, 2, 1);
    const before = listing(relocated);
    mergeTails(relocated, NO_FRAME);
    expect(listing(relocated)).toEqual(before);
  });
});
