// An estimate of the kernel verifier's work on a program, so that a loop whose bound the
// compiler proves but whose verification the kernel would give up on is a diagnostic at
// the loop, not a load failure. The verifier walks every iteration of a bounded loop, so
// its instructions cost about iterations x body of the 1,000,000-instruction budget,
// nested loops multiplying. A branch it cannot decide pushes a state to explore later, on
// a stack of at most 8192 (BPF_COMPLEXITY_LIMIT_JMP_SEQ): one on every iteration's path
// through a long loop overflows it (branch-paths.ts). A branch comparing the counter
// with a value the verifier does not know (`if (v > i)`) narrows that value differently
// on each path, so the states of later iterations never match: each such state walks the
// rest of the loop again, a cost that grows with the square of the iterations, unless
// the loop forgets the value at its back edge (forget-carried.ts), so that each
// iteration narrows it afresh. And a call of a subprogram walks the subprogram's body
// again, in the caller's state, at every call: in every iteration of the loops around
// the call, its own loops included.
// Measured on this kernel: a heavy body verifies in about 0.8 instructions per IR
// instruction and iteration, the counter comparison in about 2 x iterations^2.
// In: each lowered function and its loops (summarizeWork, as it is lowered); then every
// function's summary and the programs (checkVerifierWork). Out: diagnostics at the loops,
// or at a program, whose verification would exceed a limit.

import type ts from "typescript";
import type { Diagnostic } from "../diagnostics.js";
import type { Inst, IrFunction, VReg } from "../ir/ir.js";
import { instUses } from "../ir/uses.js";
import type { FrontendContext } from "./context.js";
import type { LoopRegion } from "./values.js";
import { branchGraph, mostBranches, type BranchGraph } from "./branch-paths.js";

/** BPF_COMPLEXITY_LIMIT_INSNS. */
export const VERIFIER_BUDGET = 1_000_000;
/** BPF_COMPLEXITY_LIMIT_JMP_SEQ. */
export const PENDING_STATES = 8192;
/** Instructions verified per IR instruction of a loop body and iteration (measured: 0.78). */
const VERIFIED_PER_IR = 0.8;

/** The verifier's work on some code of a function, the subprograms it calls left out. */
export interface Work {
  /** Instructions verified. */
  insns: number;
  /** How many times the code calls each subprogram (by symbol), iterations counted. */
  calls: Map<string, number>;
}

/** A function's work: all of it, and that of each outermost loop (by its head block);
 *  and its branches, for the verifier's stack of pending states. */
export interface FunctionWork {
  all: Work;
  loops: { node: ts.Node; head: number; trips: number; work: Work }[];
  branches: BranchGraph;
}

export function summarizeWork(fn: IrFunction, loops: readonly LoopRegion[]): FunctionWork {
  const inside = (l: LoopRegion, id: number) => l.head.id <= id && id < l.exit.id;
  const enclosing = (id: number) => loops.filter((l) => inside(l, id));
  const weight = (id: number) => enclosing(id).reduce((w, l) => w * Math.max(1, l.trips), 1);
  const outer = loops.filter((l) => !loops.some((o) => o !== l && o.head.id < l.head.id && l.exit.id <= o.exit.id));
  const branches = branchGraph(fn, loops);
  const all = emptyWork();
  const perLoop = outer.map(() => emptyWork());
  for (const b of fn.blocks) {
    const around = enclosing(b.id);
    const loop = perLoop[outer.findIndex((l) => inside(l, b.id))];
    const w = weight(b.id);
    const add = (f: (work: Work) => void) => { f(all); if (loop) f(loop); };
    add((x) => { x.insns += w * (b.insts.length + 1) * VERIFIED_PER_IR; });
    for (const callee of branches.blocks[b.id]!.calls) add((x) => x.calls.set(callee, (x.calls.get(callee) ?? 0) + w));
    // Not undecided: a loop's condition. (The op test narrows the terminator's type.)
    if (b.term.op !== "br" || !branches.blocks[b.id]!.undecided) continue;
    for (const l of around) {
      const { a, b: rhs } = b.term;
      if (comparesCounterWithUnknown(fn, l, a, rhs)) add((x) => { x.insns += (weight(l.head.id) / Math.max(1, l.trips)) * l.trips * l.trips * 2; });
    }
  }
  return { all, loops: outer.map((l, k) => ({ node: l.node, head: l.head.id, trips: l.trips, work: perLoop[k]! })), branches };
}

function emptyWork(): Work {
  return { insns: 0, calls: new Map() };
}

/** The loops, in every function, whose verification exceeds a limit, the calls in them
 *  counted with the work of what they call; then, if there is none, the programs whose
 *  verification in all does. `works`: every lowered function's, by symbol. */
export function checkVerifierWork(ctx: FrontendContext, works: ReadonlyMap<string, FunctionWork>, programs: readonly { symbol: string; node: ts.Node }[]): Diagnostic[] {
  const cost = costs(works);
  const out: Diagnostic[] = [];
  for (const fw of works.values()) {
    const pending = cost.branchesOf(fw).loops;
    for (const { node, head, trips, work } of fw.loops) {
      const insns = cost.of(work);
      const onPath = pending.get(head) ?? 0;
      const calls = work.calls.size ? `, the calls of ${names(work.calls)} in it included: a call walks the function's body again` : "";
      if (insns > VERIFIER_BUDGET) out.push(ctx.diag("loopTooComplex", node, round(insns), String(trips), round(insns / Math.max(1, trips)), calls));
      else if (onPath > PENDING_STATES) out.push(ctx.diag("loopTooManyBranches", node, round(onPath), String(trips)));
    }
  }
  if (out.length) return out;
  for (const p of programs) {
    const fw = works.get(p.symbol);
    if (!fw || cost.of(fw.all) <= VERIFIER_BUDGET) continue;
    out.push(ctx.diag("programTooComplex", p.node, round(cost.of(fw.all)), parts(ctx, fw, cost)));
  }
  return out;
}

type Costs = ReturnType<typeof costs>;
type Branches = ReturnType<typeof mostBranches>;

/** Instructions verified, the calls' work added, each subprogram's computed once; and
 *  the most undecided branches on one path, a call adding its function's most.
 *  Functions do not recurse (BPF4007); one whose lowering failed counts nothing. */
function costs(works: ReadonlyMap<string, FunctionWork>) {
  const memo = new Map<string, number>();
  const ofFunction = (symbol: string): number => {
    let c = memo.get(symbol);
    if (c !== undefined) return c;
    memo.set(symbol, 0);
    const fw = works.get(symbol);
    c = fw ? of(fw.all) : 0;
    memo.set(symbol, c);
    return c;
  };
  const of = (work: Work): number => {
    let insns = work.insns;
    for (const [callee, n] of work.calls) insns += n * ofFunction(callee);
    return insns;
  };
  const branchMemo = new Map<FunctionWork, Branches>();
  const branchesOf = (fw: FunctionWork): Branches => {
    let b = branchMemo.get(fw);
    if (b) return b;
    branchMemo.set(fw, { entry: 0, loops: new Map() });
    b = mostBranches(fw.branches, (symbol) => {
      const callee = works.get(symbol);
      return callee ? branchesOf(callee).entry : 0;
    });
    branchMemo.set(fw, b);
    return b;
  };
  return { of, ofFunction, branchesOf };
}

/** The largest parts of a program's work: its loops and the calls outside them. */
function parts(ctx: FrontendContext, fw: FunctionWork, cost: Costs): string {
  const found: [number, string][] = fw.loops.map(({ node, work }) => [cost.of(work), `the loop at line ${ctx.pos(node).line}`]);
  for (const [callee, n] of fw.all.calls) {
    const outside = n - fw.loops.reduce((s, l) => s + (l.work.calls.get(callee) ?? 0), 0);
    if (outside > 0) found.push([outside * cost.ofFunction(callee), `${outside === 1 ? "the call" : `${outside} calls`} of ${callee}`]);
  }
  return found.sort((x, y) => y[0] - x[0]).slice(0, 3).map(([n, what]) => `${what} about ${round(n)}`).join(", ");
}

function names(calls: ReadonlyMap<string, number>): string {
  return [...calls.keys()].join(", ");
}

function round(n: number): string {
  return String(Math.round(n));
}

/** Whether a compare of `a` with `b` sets one side computed from the loop's counter
 *  against a register that is not and that the loop does not forget at its back edge
 *  (forget-carried.ts: the verifier then narrows it afresh in each iteration, not a
 *  little more each time). */
function comparesCounterWithUnknown(fn: IrFunction, loop: LoopRegion, a: VReg, b: VReg | { imm: bigint }): boolean {
  if (loop.counter === undefined || typeof b !== "number") return false;
  const derived = new Set<VReg>([loop.counter]);
  for (let grew = true; grew;) {
    grew = false;
    for (const blk of fn.blocks) {
      if (blk.id < loop.head.id || blk.id >= loop.exit.id) continue;
      for (const i of blk.insts) {
        if (!("dst" in i) || i.dst === undefined || derived.has(i.dst)) continue;
        if (instUses(i).some((u) => derived.has(u))) { derived.add(i.dst); grew = true; }
      }
    }
  }
  if (derived.has(a) === derived.has(b)) return false;
  return !forgottenAtLatch(fn, loop, derived.has(a) ? b : a);
}

/** Whether r is a copy (an extension, a load) of a value the loop forgets at its latch. */
function forgottenAtLatch(fn: IrFunction, loop: LoopRegion, r: VReg): boolean {
  const latch = loop.latch.insts;
  const forgotten = new Set(latch.flatMap((i) => (i.op === "forget" ? [i.dst] : [])));
  const stored = latch.flatMap((i) => (i.op === "store" && "slot" in i.base && typeof i.src === "number" && forgotten.has(i.src) ? [{ slot: i.base.slot, off: i.off }] : []));
  if (forgotten.size === 0) return false;
  const defs = new Map<VReg, Inst[]>();
  for (const blk of fn.blocks) for (const i of blk.insts) if ("dst" in i && i.dst !== undefined) defs.set(i.dst, [...(defs.get(i.dst) ?? []), i]);
  const seen = new Set<VReg>();
  const work = [r];
  while (work.length) {
    const v = work.pop()!;
    if (forgotten.has(v)) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const i of defs.get(v) ?? []) {
      if (i.op === "mov" || i.op === "ext") work.push(i.src);
      if (i.op === "load" && "slot" in i.base && stored.some((m) => "slot" in i.base && m.slot === i.base.slot && m.off === i.off)) return true;
    }
  }
  return false;
}
