// The most undecided branches on one path (compiler/frontend/branch-paths.ts), on
// hand-built branch graphs: one arm of each diamond, every iteration of a loop, a break
// out of a nest, a call's own path; and the graph a lowered function gives.

import { describe, expect, it } from "vitest";
import { branchGraph, mostBranches, type BranchGraph } from "../../compiler/frontend/branch-paths.js";
import type { Block, IrFunction } from "../../compiler/ir/ir.js";
import type { LoopRegion } from "../../compiler/frontend/values.js";

type B = BranchGraph["blocks"][number];
const br = (then: number, els: number, calls: string[] = []): B => ({ undecided: true, calls, next: [then, els] });
const jmp = (to: number, calls: string[] = []): B => ({ undecided: false, calls, next: [to] });
const cond = (then: number, els: number): B => ({ undecided: false, calls: [], next: [then, els] });
const ret: B = { undecided: false, calls: [], next: [] };
const none = () => 0;

describe("the most undecided branches on one path", () => {
  it("counts one arm of a diamond whose arms both branch", () => {
    // 0 ? (1 ? 3 : 3) : (2 ? 3 : 3): three branches, two on any path.
    const g: BranchGraph = { blocks: [br(1, 2), br(3, 3), br(3, 3), ret], loops: [] };
    expect(mostBranches(g, none).entry).toBe(2);
  });

  it("takes the longer arm", () => {
    // 0 ? 1 : 3; 1 ? 2 : 2; 2 ? 3 : 3: the then-arm has two more.
    const g: BranchGraph = { blocks: [br(1, 3), br(2, 2), br(3, 3), ret], loops: [] };
    expect(mostBranches(g, none).entry).toBe(3);
  });

  it("counts every iteration of a loop, and what follows it", () => {
    // 0 -> head 1 (the counter's test, decided) -> body 2 (a diamond) -> latch 3 -> 1;
    // after the loop, 4 branches once more.
    const g: BranchGraph = {
      blocks: [jmp(1), cond(2, 4), br(3, 3), jmp(1), br(5, 5), ret],
      loops: [{ head: 1, exit: 4, trips: 10 }],
    };
    const r = mostBranches(g, none);
    expect(r.loops.get(1)).toBe(10);
    expect(r.entry).toBe(11);
  });

  it("multiplies nested loops, and a break leaves the rest of an iteration uncounted", () => {
    // outer: head 1, exit 8, 3 trips; inner: head 2, exit 6, 4 trips.
    // inner body 3 branches: to 4 (one more branch, then the latch 5) or out of both
    // loops (a labelled break to 8); the outer iteration goes on at 6 (a branch) and 7.
    const g: BranchGraph = {
      blocks: [jmp(1), cond(2, 8), cond(3, 6), br(4, 8), br(5, 5), jmp(2), br(7, 7), jmp(1), ret],
      loops: [{ head: 1, exit: 8, trips: 3 }, { head: 2, exit: 6, trips: 4 }],
    };
    const r = mostBranches(g, none);
    // Inner: 2 a iteration, 8 in all; then 6's branch: 9 an outer iteration, 27 in all.
    expect(r.loops.get(2)).toBe(8);
    expect(r.loops.get(1)).toBe(27);
    expect(r.entry).toBe(27);
  });

  it("adds a called function's most at each call on the path", () => {
    const g: BranchGraph = {
      blocks: [jmp(1), cond(2, 4), br(3, 3, ["f"]), jmp(1, ["f", "g"]), ret],
      loops: [{ head: 1, exit: 4, trips: 5 }],
    };
    const called = (s: string) => (s === "f" ? 7 : s === "g" ? 2 : 0);
    // One iteration: the branch, f twice, g once: 1 + 14 + 2.
    expect(mostBranches(g, called).loops.get(1)).toBe(5 * 17);
  });

  it("a function's graph: its loop heads' tests are decided, its other branches are not, its calls of functions counted", () => {
    // b0: v1 = 0 -> b1: v1 < 4 ? b2 : b4 (the head) -> b2: f(v1); v1 ? b3 : b3 -> b3: v1 += 1,
    // helper call -> b1 -> b4: ret.
    const blocks: Block[] = [
      { id: 0, insts: [{ op: "const", dst: 1, value: 0n }], term: { op: "jmp", target: 1 } },
      { id: 1, insts: [], term: { op: "br", cmp: "ult", a: 1, b: { imm: 4n }, then: 2, else: 4 } },
      { id: 2, insts: [{ op: "call", dst: 2, args: [1], fn: "f" }], term: { op: "br", cmp: "ne", a: 2, b: { imm: 0n }, then: 3, else: 3 } },
      { id: 3, insts: [{ op: "call", dst: 3, args: [], helper: 5 }], term: { op: "jmp", target: 1 } },
      { id: 4, insts: [], term: { op: "ret", value: { imm: 0n } } },
    ];
    const fn: IrFunction = { name: "p", params: [], hints: new Map(), blocks, slots: [], nextReg: 4 };
    const loop = { head: blocks[1]!, exit: blocks[4]!, latch: blocks[3]!, trips: 4, counter: 1, node: undefined as never, carried: { regs: [], memory: [] } } satisfies LoopRegion;
    const g = branchGraph(fn, [loop]);
    expect(g).toEqual({
      blocks: [
        { undecided: false, calls: [], next: [1] },
        { undecided: false, calls: [], next: [2, 4] },
        { undecided: true, calls: ["f"], next: [3, 3] },
        { undecided: false, calls: [], next: [1] },
        { undecided: false, calls: [], next: [] },
      ],
      loops: [{ head: 1, exit: 4, trips: 4 }],
    });
    expect(mostBranches(g, () => 2).entry).toBe(4 * 3);
  });
});
