// Register allocation by iterated register coalescing (George & Appel, 1996; the algorithm
// of Appel's "Modern Compiler Implementation", ch. 11) onto R0..R9.
// In: an MFunction on virtual registers, with physical registers where the ABI fixes them
// (R1 at entry, R1..R5 as call arguments, R0 as call result and return value).
// Out: the same MFunction, changed in place: every register physical, spill code inserted,
// copies whose ends got the same register deleted.
//
// How the BPF rules show up in the graph:
//   - a call writes R0..R5, so every value live across it interferes with them and lands in
//     R6..R9 or on the stack;
//   - setcc writes its result before reading its operands, so they interfere;
//   - R10 is not a node: it is never allocated and never written;
//   - a register with a hint takes the hinted color when it is free, and is not coalesced
//     into a different physical register.
// Copies between virtual registers and into/out of R0..R5 are coalesced when the Briggs or
// George test says it is safe; remaining ones get biased colors. Spilled constants are
// recomputed rather than stored; spilled values share slots when they do not interfere.

import { BackendError } from "./errors.js";
import { computeLiveness, loopDepths } from "./liveness.js";
import {
  FIRST_VREG, NUM_COLORS, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, instDefs, instUses, isPhys,
  renameInst, renameTerm, termUses, type MFunction, type Reg,
} from "./mir.js";
import { rematValues, rewriteSpills, type SpillGroup } from "./spill.js";

const K = NUM_COLORS;
/** Color preference when nothing else decides: argument registers first, callee-saved last. */
const ORDER: readonly Reg[] = [R1, R2, R3, R4, R5, R0, R6, R7, R8, R9];
const MAX_ROUNDS = 32;

interface Move { dst: Reg; src: Reg }

/** The interference relation: a bit matrix while it stays small, per-node sets beyond. */
class Adjacency {
  private readonly bits: Uint32Array | undefined;
  private readonly sets: Set<Reg>[] | undefined;

  constructor(private readonly n: number) {
    if (n <= 16384) this.bits = new Uint32Array(Math.ceil((n * n) / 32));
    else this.sets = Array.from({ length: n }, () => new Set<Reg>());
  }

  has(u: Reg, v: Reg): boolean {
    if (this.bits) { const k = u * this.n + v; return (this.bits[k >>> 5]! & (1 << (k & 31))) !== 0; }
    return this.sets![u]!.has(v);
  }

  add(u: Reg, v: Reg): void {
    if (this.bits) {
      const a = u * this.n + v, b = v * this.n + u;
      this.bits[a >>> 5]! |= 1 << (a & 31);
      this.bits[b >>> 5]! |= 1 << (b & 31);
    } else {
      this.sets![u]!.add(v);
      this.sets![v]!.add(u);
    }
  }
}

type Outcome = { colors: Map<Reg, Reg> } | { spills: SpillGroup[] };

/** One round of build / simplify / coalesce / freeze / spill / select. */
class Round {
  private readonly n: number;
  private readonly adjSet: Adjacency;
  private readonly adjList: Reg[][] = [];
  private readonly degree: number[] = [];
  private readonly moveList: Set<number>[] = [];
  private readonly moves: Move[] = [];
  private readonly alias: Reg[] = [];
  private readonly color: number[] = [];
  private readonly cost: number[] = [];
  private readonly hint: (Reg | undefined)[] = [];
  private readonly initial = new Set<Reg>();

  private readonly simplifyWL = new Set<Reg>();
  private readonly freezeWL = new Set<Reg>();
  private readonly spillWL = new Set<Reg>();
  private readonly spilledNodes = new Set<Reg>();
  private readonly coalescedNodes = new Set<Reg>();
  private readonly coloredNodes = new Set<Reg>();
  private readonly selectStack: Reg[] = [];
  private readonly onStack = new Set<Reg>();

  private readonly worklistMoves = new Set<number>();
  private readonly activeMoves = new Set<number>();

  constructor(private readonly fn: MFunction) {
    this.n = fn.nextReg;
    this.adjSet = new Adjacency(this.n);
    for (let r = 0; r < this.n; r++) {
      this.adjList.push([]);
      this.degree.push(isPhys(r) ? Infinity : 0);
      this.moveList.push(new Set());
      this.alias.push(r);
      this.color.push(isPhys(r) ? r : -1);
      this.cost.push(fn.spillTemps.has(r) ? Infinity : 0);
      this.hint.push(fn.hints.get(r));
    }
  }

  private pre(r: Reg): boolean {
    return isPhys(r);
  }

  private adjacent(u: Reg, v: Reg): boolean {
    return this.adjSet.has(u, v);
  }

  private addEdge(u: Reg, v: Reg): void {
    if (u === v || this.adjacent(u, v) || (this.pre(u) && this.pre(v))) return;
    this.adjSet.add(u, v);
    if (!this.pre(u)) { this.adjList[u]!.push(v); this.degree[u]!++; }
    if (!this.pre(v)) { this.adjList[v]!.push(u); this.degree[v]!++; }
  }

  private addMove(dst: Reg, src: Reg): void {
    const m = this.moves.length;
    this.moves.push({ dst, src });
    this.moveList[dst]!.add(m);
    this.moveList[src]!.add(m);
    this.worklistMoves.add(m);
  }

  private node(r: Reg, weight: number): void {
    if (!this.pre(r)) this.initial.add(r);
    this.cost[r]! += weight;
  }

  build(): void {
    const { liveOut } = computeLiveness(this.fn);
    const depth = loopDepths(this.fn);
    for (const b of this.fn.blocks) {
      const w = 10 ** Math.min(depth.get(b.id) ?? 0, 8);
      const live = new Set(liveOut.get(b.id));
      for (const u of termUses(b.term)) { live.add(u); this.node(u, w); }
      for (let k = b.insts.length - 1; k >= 0; k--) {
        const i = b.insts[k]!;
        const uses = instUses(i);
        const defs = instDefs(i);
        for (const r of uses) this.node(r, w);
        for (const r of defs) this.node(r, w);
        if (i.k === "mov") {
          live.delete(i.src);
          this.addMove(i.dst, i.src);
        } else if (i.k === "args") {
          for (const m of i.moves) { live.delete(m.src); this.addMove(m.dst, m.src); }
        }
        for (const d of defs) live.add(d);
        for (const d of defs) for (const l of live) this.addEdge(l, d);
        for (const d of defs) live.delete(d);
        for (const u of uses) live.add(u);
        if (i.k === "setcc") for (const u of uses) this.addEdge(i.dst, u);
      }
    }
  }

  private adjacentNodes(n: Reg): Reg[] {
    return this.adjList[n]!.filter((m) => !this.onStack.has(m) && !this.coalescedNodes.has(m));
  }

  private nodeMoves(n: Reg): number[] {
    return [...this.moveList[n]!].filter((m) => this.activeMoves.has(m) || this.worklistMoves.has(m));
  }

  private moveRelated(n: Reg): boolean {
    for (const m of this.moveList[n]!) if (this.activeMoves.has(m) || this.worklistMoves.has(m)) return true;
    return false;
  }

  private makeWorklist(): void {
    for (const n of this.initial) {
      if (this.degree[n]! >= K) this.spillWL.add(n);
      else if (this.moveRelated(n)) this.freezeWL.add(n);
      else this.simplifyWL.add(n);
    }
  }

  private simplify(): void {
    const n = this.simplifyWL.values().next().value as Reg;
    this.simplifyWL.delete(n);
    this.selectStack.push(n);
    this.onStack.add(n);
    for (const m of this.adjacentNodes(n)) this.decrementDegree(m);
  }

  private decrementDegree(m: Reg): void {
    if (this.pre(m)) return;
    const d = this.degree[m]!;
    this.degree[m] = d - 1;
    if (d === K) {
      this.enableMoves([m, ...this.adjacentNodes(m)]);
      this.spillWL.delete(m);
      if (this.moveRelated(m)) this.freezeWL.add(m);
      else this.simplifyWL.add(m);
    }
  }

  private enableMoves(nodes: Reg[]): void {
    for (const n of nodes) {
      for (const m of this.nodeMoves(n)) {
        if (this.activeMoves.has(m)) {
          this.activeMoves.delete(m);
          this.worklistMoves.add(m);
        }
      }
    }
  }

  private getAlias(n: Reg): Reg {
    while (this.coalescedNodes.has(n)) n = this.alias[n]!;
    return n;
  }

  private addWorkList(u: Reg): void {
    if (!this.pre(u) && !this.moveRelated(u) && this.degree[u]! < K) {
      this.freezeWL.delete(u);
      this.simplifyWL.add(u);
    }
  }

  /** George: coalescing v into precolored r is safe if each neighbor is low-degree or already
   *  interferes with r. */
  private ok(t: Reg, r: Reg): boolean {
    return this.degree[t]! < K || this.pre(t) || this.adjacent(t, r);
  }

  /** Briggs: the merged node has fewer than K neighbors of significant degree. */
  private conservative(nodes: Reg[]): boolean {
    let k = 0;
    for (const n of new Set(nodes)) if (this.degree[n]! >= K) k++;
    return k < K;
  }

  private coalesce(): void {
    const m = this.worklistMoves.values().next().value as number;
    this.worklistMoves.delete(m);
    const x = this.getAlias(this.moves[m]!.src);
    const y = this.getAlias(this.moves[m]!.dst);
    const [u, v] = this.pre(y) ? [y, x] : [x, y];
    if (u === v) {
      this.addWorkList(u);
    } else if (this.pre(v) || this.adjacent(u, v) || this.hintConflict(u, v)) {
      this.addWorkList(u);
      this.addWorkList(v);
    } else if (
      (this.pre(u) && this.adjacentNodes(v).every((t) => this.ok(t, u))) ||
      (!this.pre(u) && this.conservative([...this.adjacentNodes(u), ...this.adjacentNodes(v)]))
    ) {
      this.combine(u, v);
      this.addWorkList(u);
    } else {
      this.activeMoves.add(m);
    }
  }

  /** A hinted register is not merged into another physical register. */
  private hintConflict(u: Reg, v: Reg): boolean {
    const hv = this.hint[v];
    return this.pre(u) && hv !== undefined && hv !== u;
  }

  private combine(u: Reg, v: Reg): void {
    if (this.freezeWL.has(v)) this.freezeWL.delete(v);
    else this.spillWL.delete(v);
    this.coalescedNodes.add(v);
    this.alias[v] = u;
    for (const m of this.moveList[v]!) this.moveList[u]!.add(m);
    this.cost[u] = this.cost[u]! + this.cost[v]!;
    if (this.hint[u] === undefined) this.hint[u] = this.hint[v];
    this.enableMoves([v]);
    for (const t of this.adjacentNodes(v)) {
      this.addEdge(t, u);
      this.decrementDegree(t);
    }
    if (this.degree[u]! >= K && this.freezeWL.has(u)) {
      this.freezeWL.delete(u);
      this.spillWL.add(u);
    }
  }

  private freeze(): void {
    const u = this.freezeWL.values().next().value as Reg;
    this.freezeWL.delete(u);
    this.simplifyWL.add(u);
    this.freezeMoves(u);
  }

  private freezeMoves(u: Reg): void {
    for (const m of this.nodeMoves(u)) {
      const { dst, src } = this.moves[m]!;
      const v = this.getAlias(dst) === this.getAlias(u) ? this.getAlias(src) : this.getAlias(dst);
      this.activeMoves.delete(m);
      this.worklistMoves.delete(m);
      if (this.freezeWL.has(v) && this.nodeMoves(v).length === 0 && this.degree[v]! < K) {
        this.freezeWL.delete(v);
        this.simplifyWL.add(v);
      }
    }
  }

  private selectSpill(): void {
    let best: Reg | undefined;
    let bestScore = Infinity;
    for (const n of this.spillWL) {
      const score = this.cost[n]! / this.degree[n]!;
      if (best === undefined || score < bestScore) { best = n; bestScore = score; }
    }
    this.spillWL.delete(best!);
    this.simplifyWL.add(best!);
    this.freezeMoves(best!);
  }

  /** The hint if free; else a move partner's color (biased coloring); else the first free
   *  color in ORDER, passing over colors that uncolored neighbors are hinted to. */
  private chooseColor(n: Reg, ok: Set<Reg>): Reg {
    const h = this.hint[n];
    if (h !== undefined && ok.has(h)) return h;
    for (const m of this.moveList[n]!) {
      const { dst, src } = this.moves[m]!;
      const other = this.getAlias(dst) === n ? this.getAlias(src) : this.getAlias(dst);
      const c = this.color[other]!;
      if (c >= 0 && ok.has(c)) return c;
    }
    const wanted = new Set<Reg>();
    for (const w of this.adjList[n]!) {
      const a = this.getAlias(w);
      const hw = this.hint[a];
      if (hw !== undefined && !this.pre(a) && this.color[a]! < 0) wanted.add(hw);
    }
    return ORDER.find((c) => ok.has(c) && !wanted.has(c)) ?? ORDER.find((c) => ok.has(c))!;
  }

  private assignColors(): void {
    while (this.selectStack.length > 0) {
      const n = this.selectStack.pop()!;
      this.onStack.delete(n);
      const ok = new Set<Reg>(ORDER);
      for (const w of this.adjList[n]!) {
        const a = this.getAlias(w);
        if (this.pre(a) || this.coloredNodes.has(a)) ok.delete(this.color[a]!);
      }
      if (ok.size === 0) {
        this.spilledNodes.add(n);
      } else {
        this.coloredNodes.add(n);
        this.color[n] = this.chooseColor(n, ok);
      }
    }
    for (const n of this.coalescedNodes) this.color[n] = this.color[this.getAlias(n)]!;
  }

  run(): Outcome {
    this.build();
    this.makeWorklist();
    while (this.simplifyWL.size + this.worklistMoves.size + this.freezeWL.size + this.spillWL.size > 0) {
      if (this.simplifyWL.size > 0) this.simplify();
      else if (this.worklistMoves.size > 0) this.coalesce();
      else if (this.freezeWL.size > 0) this.freeze();
      else this.selectSpill();
    }
    this.assignColors();
    if (this.spilledNodes.size === 0) {
      const colors = new Map<Reg, Reg>();
      for (const r of this.initial) colors.set(r, this.color[r]!);
      return { colors };
    }
    return { spills: this.spillGroups() };
  }

  /** Spilled nodes with the nodes coalesced into them; groups that do not interfere share a slot. */
  private spillGroups(): SpillGroup[] {
    const members = new Map<Reg, Reg[]>([...this.spilledNodes].map((n) => [n, [n]]));
    for (const n of this.coalescedNodes) members.get(this.getAlias(n))?.push(n);
    const groups: SpillGroup[] = [];
    const shares: Reg[][] = [];
    const constants = rematValues(this.fn, members);
    for (const [rep, regs] of members) {
      const remat = constants.get(rep);
      if (remat !== undefined) { groups.push({ regs, remat }); continue; }
      let share = shares.findIndex((reps) => reps.every((r) => !this.adjacent(r, rep)));
      if (share < 0) { share = shares.length; shares.push([]); }
      shares[share]!.push(rep);
      groups.push({ regs, share });
    }
    return groups;
  }
}

export interface AllocStats { rounds: number; spilled: number }

export function allocateRegisters(fn: MFunction): AllocStats {
  let spilled = 0;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const out = new Round(fn).run();
    if ("spills" in out) {
      spilled += out.spills.length;
      rewriteSpills(fn, out.spills);
      continue;
    }
    const f = (r: Reg): Reg => (r < FIRST_VREG ? r : out.colors.get(r)!);
    for (const b of fn.blocks) {
      b.insts = b.insts.map((i) => renameInst(i, f)).filter((i) => !(i.k === "mov" && i.dst === i.src));
      b.term = renameTerm(b.term, f);
    }
    return { rounds: round, spilled };
  }
  throw new BackendError("regalloc", `register allocation of ${fn.name} did not converge`, fn.loc);
}
