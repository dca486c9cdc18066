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
// After a spill, the spill code's temporaries are colored around the colors the round
// gave the rest (spill-temp-colors.ts); only when one of them finds no free color does
// the next round allocate the whole function again (Appel's way). Over the benchmark's
// programs and generated handlers the instructions are the same as with a whole second
// round each time; a 1,000-statement handler allocates in one round instead of two.
//
// Cost: a round takes time in proportion to the interference graph's edges and the moves
// (times a small factor), not to the square of the registers: edges are a hash set beside
// adjacency lists; per node, a count of neighbours of significant degree answers Briggs'
// test by walking the smaller node only; coalescing keeps the node with the long adjacency
// list once it is long (LONG); move lists are joined, not copied (moves.ts); worklists
// find their first element in O(1) (ordered-set.ts), the spill candidates are a heap
// (spill-queue.ts); aliases are path-compressed.

import { BackendError } from "./errors.js";
import { computeLiveness, loopDepths } from "./liveness.js";
import {
  ALL_COLORS, COLOR_ORDER, FIRST_VREG, NUM_COLORS, instDefs, instUses, isPhys, renameRegs, renameTerm, termUses,
  type MFunction, type Reg,
} from "./mir.js";
import { Moves } from "./moves.js";
import { OrderedSet } from "./ordered-set.js";
import { PairSet } from "./pair-set.js";
import { SpillQueue } from "./spill-queue.js";
import { colorSpillTemps } from "./spill-temp-colors.js";
import { rematValues, rewriteSpills, type SpillGroup } from "./spill.js";

const K = NUM_COLORS;
const MAX_ROUNDS = 32;
/** Coalescing u and v keeps u (Appel's choice) unless v's adjacency list is longer than
 *  u's and than this: then v is kept, so that a value coalesced with thousands of copies
 *  of itself does not have its list walked and re-added at each one. Below it, merges
 *  happen exactly as Appel has them (and the output is the same as with his choice). */
const LONG = 256;

/** The colors of the registers that got one; with spills, those that did not, and the
 *  registers live out of each block (for colorSpillTemps). */
type Outcome = { colors: Map<Reg, Reg>; spills?: SpillGroup[]; liveOut: Map<number, Set<Reg>> };

/** One round of build / simplify / coalesce / freeze / spill / select. */
class Round {
  private readonly n: number;
  private readonly adjSet: PairSet;
  private readonly adjList: Reg[][] = [];
  private readonly degree: Float64Array;
  /** Per node: its neighbours that are virtual, of degree >= K, and neither on the select
   *  stack nor coalesced (the "significant" neighbours of Briggs' test). */
  private readonly sig: Int32Array;
  /** Per node: its physical neighbours (always significant). */
  private readonly physNeighbors: Int32Array;
  private readonly alias: Int32Array;
  private readonly color: Int32Array;
  private readonly cost: Float64Array;
  private readonly hint: (Reg | undefined)[] = [];
  private readonly initial: Reg[] = [];
  private readonly inInitial: Uint8Array;
  private readonly coalesced: Uint8Array;
  private readonly onStack: Uint8Array;
  private readonly colored: Uint8Array;

  private readonly simplifyWL: OrderedSet;
  private readonly freezeWL: OrderedSet;
  private readonly spillWL: SpillQueue;
  private readonly spilledNodes: OrderedSet;
  private readonly coalescedNodes: Reg[] = [];
  private readonly selectStack: Reg[] = [];
  private moves!: Moves;

  constructor(private readonly fn: MFunction) {
    const n = (this.n = fn.nextReg);
    this.adjSet = new PairSet(n, 16 * n);
    this.degree = new Float64Array(n);
    this.sig = new Int32Array(n);
    this.physNeighbors = new Int32Array(n);
    this.alias = new Int32Array(n);
    this.color = new Int32Array(n);
    this.cost = new Float64Array(n);
    this.inInitial = new Uint8Array(n);
    this.coalesced = new Uint8Array(n);
    this.onStack = new Uint8Array(n);
    this.colored = new Uint8Array(n);
    this.simplifyWL = new OrderedSet(n);
    this.freezeWL = new OrderedSet(n);
    this.spillWL = new SpillQueue(n, (r) => this.cost[r]! / this.degree[r]!);
    this.spilledNodes = new OrderedSet(n);
    for (let r = 0; r < n; r++) {
      this.adjList.push([]);
      this.degree[r] = isPhys(r) ? Infinity : 0;
      this.alias[r] = r;
      this.color[r] = isPhys(r) ? r : -1;
      this.cost[r] = fn.spillTemps.has(r) ? Infinity : 0;
      this.hint.push(fn.hints.get(r));
    }
  }

  private pre(r: Reg): boolean {
    return isPhys(r);
  }

  private adjacent(u: Reg, v: Reg): boolean {
    return this.adjSet.has(u, v);
  }

  /** 1 when the node counts in its neighbours' `sig`. */
  private significant(t: Reg): number {
    return !this.pre(t) && this.degree[t]! >= K && this.onStack[t] === 0 && this.coalesced[t] === 0 ? 1 : 0;
  }

  private spread(t: Reg, delta: number): void {
    for (const s of this.adjList[t]!) this.sig[s]! += delta;
  }

  private changeDegree(t: Reg, delta: number): void {
    const before = this.significant(t);
    this.degree[t]! += delta;
    this.spillWL.changed(t);
    const after = this.significant(t);
    if (before !== after) this.spread(t, after - before);
  }

  /** Takes the node out of the graph (onto the select stack, or coalesced). */
  private hide(t: Reg, flags: Uint8Array): void {
    if (this.significant(t)) this.spread(t, -1);
    flags[t] = 1;
  }

  private addEdge(u: Reg, v: Reg): void {
    if (u === v || (this.pre(u) && this.pre(v)) || !this.adjSet.add(u, v)) return;
    // Degrees first, so that a node becoming significant tells only its old neighbours.
    if (!this.pre(u)) this.changeDegree(u, 1);
    if (!this.pre(v)) this.changeDegree(v, 1);
    this.link(u, v);
    this.link(v, u);
  }

  private link(a: Reg, b: Reg): void {
    if (this.pre(a)) return;
    this.adjList[a]!.push(b);
    if (this.pre(b)) this.physNeighbors[a]!++;
    else this.sig[a]! += this.significant(b);
  }

  private node(r: Reg, weight: number): void {
    if (!this.pre(r) && this.inInitial[r] === 0) { this.inInitial[r] = 1; this.initial.push(r); }
    this.cost[r]! += weight;
  }

  build(): Map<number, Set<Reg>> {
    const { liveOut } = computeLiveness(this.fn);
    const depth = loopDepths(this.fn);
    const dsts: Reg[] = [], srcs: Reg[] = [];
    const addMove = (dst: Reg, src: Reg): void => { dsts.push(dst); srcs.push(src); };
    const live = new OrderedSet(this.n);
    for (const b of this.fn.blocks) {
      const w = 10 ** Math.min(depth.get(b.id) ?? 0, 8);
      live.clear();
      for (const r of liveOut.get(b.id)!) live.add(r);
      for (const u of termUses(b.term)) { live.add(u); this.node(u, w); }
      for (let k = b.insts.length - 1; k >= 0; k--) {
        const i = b.insts[k]!;
        const uses = instUses(i);
        const defs = instDefs(i);
        for (const r of uses) this.node(r, w);
        for (const r of defs) this.node(r, w);
        if (i.k === "mov") {
          live.delete(i.src);
          addMove(i.dst, i.src);
        } else if (i.k === "args") {
          for (const m of i.moves) { live.delete(m.src); addMove(m.dst, m.src); }
        }
        for (const d of defs) live.add(d);
        for (const d of defs) for (let l = live.first(); l >= 0; l = live.after(l)) this.addEdge(l, d);
        for (const d of defs) live.delete(d);
        for (const u of uses) live.add(u);
        if (i.k === "setcc") for (const u of uses) this.addEdge(i.dst, u);
      }
    }
    this.moves = new Moves(this.n, dsts, srcs, (r) => this.getAlias(r));
    return liveOut;
  }

  /** Whether the node is still in the graph (Appel's adjacentNodes are the neighbours
   *  that are). */
  private visible(m: Reg): boolean {
    return this.onStack[m] === 0 && this.coalesced[m] === 0;
  }

  private makeWorklist(): void {
    for (const n of this.initial) {
      if (this.degree[n]! >= K) this.spillWL.add(n);
      else if (this.moves.related(n)) this.freezeWL.add(n);
      else this.simplifyWL.add(n);
    }
  }

  private simplify(): void {
    const n = this.simplifyWL.first();
    this.simplifyWL.delete(n);
    this.selectStack.push(n);
    this.hide(n, this.onStack);
    for (const m of this.adjList[n]!) if (this.visible(m)) this.decrementDegree(m);
  }

  private decrementDegree(m: Reg): void {
    if (this.pre(m)) return;
    const d = this.degree[m]!;
    this.changeDegree(m, -1);
    if (d === K) {
      this.moves.enable(m);
      for (const t of this.adjList[m]!) if (this.visible(t)) this.moves.enable(t);
      this.spillWL.delete(m);
      if (this.moves.related(m)) this.freezeWL.add(m);
      else this.simplifyWL.add(m);
    }
  }

  private getAlias(n: Reg): Reg {
    let r = n;
    while (this.coalesced[r] === 1) r = this.alias[r]!;
    while (this.coalesced[n] === 1) { const next = this.alias[n]!; this.alias[n] = r; n = next; }
    return r;
  }

  private addWorkList(u: Reg): void {
    if (!this.pre(u) && !this.moves.related(u) && this.degree[u]! < K) {
      this.freezeWL.delete(u);
      this.simplifyWL.add(u);
    }
  }

  /** George: coalescing v into precolored r is safe if each neighbor is low-degree or already
   *  interferes with r. */
  private george(r: Reg, v: Reg): boolean {
    if (this.sig[v] === 0) return true;
    for (const t of this.adjList[v]!) {
      if (this.visible(t) && !this.pre(t) && this.degree[t]! >= K && !this.adjacent(t, r)) return false;
    }
    return true;
  }

  /** Briggs: the merged node has fewer than K neighbors of significant degree. The
   *  neighbours of the node with the longer list are counted, those of the other walked. */
  private briggs(u: Reg, v: Reg): boolean {
    const [big, small] = this.adjList[u]!.length >= this.adjList[v]!.length ? [u, v] : [v, u];
    let k = this.sig[big]! + this.physNeighbors[big]!;
    for (const t of this.adjList[small]!) {
      if (k >= K) return false;
      if (this.visible(t) && this.degree[t]! >= K && !this.adjacent(t, big)) k++;
    }
    return k < K;
  }

  private coalesce(): void {
    const m = this.moves.take();
    const x = this.getAlias(this.moves.src[m]!);
    const y = this.getAlias(this.moves.dst[m]!);
    const [u, v] = this.pre(y) ? [y, x] : [x, y];
    if (u === v) {
      this.moves.retire(m);
      this.addWorkList(u);
    } else if (this.pre(v) || this.adjacent(u, v) || this.hintConflict(u, v)) {
      this.moves.retire(m);
      this.addWorkList(u);
      this.addWorkList(v);
    } else if ((this.pre(u) && this.george(u, v)) || (!this.pre(u) && this.briggs(u, v))) {
      this.moves.retire(m);
      this.addWorkList(this.combine(u, v));
    } else {
      this.moves.activate(m);
    }
  }

  /** A hinted register is not merged into another physical register. */
  private hintConflict(u: Reg, v: Reg): boolean {
    const hv = this.hint[v];
    return this.pre(u) && hv !== undefined && hv !== u;
  }

  /** Merges v into u (or, when v's adjacency list is the long one, u into v); returns the
   *  node that stays. */
  private combine(u: Reg, v: Reg): Reg {
    const long = this.adjList[v]!.length;
    const [keep, gone] = !this.pre(u) && long > LONG && long > this.adjList[u]!.length ? [v, u] : [u, v];
    if (this.freezeWL.has(gone)) this.freezeWL.delete(gone);
    else this.spillWL.delete(gone);
    this.moves.enable(gone);
    this.hide(gone, this.coalesced);
    this.coalescedNodes.push(gone);
    this.alias[gone] = keep;
    this.moves.merge(u, v, keep);
    this.cost[keep] = this.cost[u]! + this.cost[v]!;
    this.spillWL.changed(keep);
    this.hint[keep] = this.hint[u] ?? this.hint[v];
    for (const t of this.adjList[gone]!) {
      if (!this.visible(t)) continue;
      this.addEdge(t, keep);
      this.decrementDegree(t);
    }
    if (this.degree[keep]! >= K && this.freezeWL.has(keep)) {
      this.freezeWL.delete(keep);
      this.spillWL.add(keep);
    }
    return keep;
  }

  private freeze(): void {
    const u = this.freezeWL.first();
    this.freezeWL.delete(u);
    this.simplifyWL.add(u);
    this.freezeMoves(u);
  }

  private freezeMoves(u: Reg): void {
    for (const m of this.moves.live(u)) {
      const v = this.moves.partner(m, u);
      this.moves.retire(m);
      if (this.freezeWL.has(v) && !this.moves.related(v) && this.degree[v]! < K) {
        this.freezeWL.delete(v);
        this.simplifyWL.add(v);
      }
    }
  }

  /** The node of least spill cost per degree (spill-queue.ts). */
  private selectSpill(): void {
    const best = this.spillWL.take();
    this.simplifyWL.add(best);
    this.freezeMoves(best);
  }

  /** The hint if free; else a move partner's color (biased coloring); else the first free
   *  color in COLOR_ORDER, passing over colors that uncolored neighbors are hinted to. */
  private chooseColor(n: Reg, ok: number): Reg {
    const free = (c: number): boolean => (ok & (1 << c)) !== 0;
    const h = this.hint[n];
    if (h !== undefined && free(h)) return h;
    for (const m of this.moves.all(n)) {
      const c = this.color[this.moves.partner(m, n)]!;
      if (c >= 0 && free(c)) return c;
    }
    let wanted = 0;
    for (const w of this.adjList[n]!) {
      const a = this.getAlias(w);
      const hw = this.hint[a];
      if (hw !== undefined && !this.pre(a) && this.color[a]! < 0) wanted |= 1 << hw;
    }
    return COLOR_ORDER.find((c) => free(c) && (wanted & (1 << c)) === 0) ?? COLOR_ORDER.find(free)!;
  }

  private assignColors(): void {
    while (this.selectStack.length > 0) {
      const n = this.selectStack.pop()!;
      this.onStack[n] = 0;
      let ok = ALL_COLORS;
      for (const w of this.adjList[n]!) {
        const a = this.getAlias(w);
        if (this.pre(a) || this.colored[a] === 1) ok &= ~(1 << this.color[a]!);
      }
      if (ok === 0) {
        this.spilledNodes.add(n);
      } else {
        this.colored[n] = 1;
        this.color[n] = this.chooseColor(n, ok);
      }
    }
    for (const n of this.coalescedNodes) this.color[n] = this.color[this.getAlias(n)]!;
  }

  run(): Outcome {
    const liveOut = this.build();
    this.makeWorklist();
    while (this.simplifyWL.size + this.freezeWL.size + this.spillWL.size > 0 || this.moves.hasWork()) {
      if (this.simplifyWL.size > 0) this.simplify();
      else if (this.moves.hasWork()) this.coalesce();
      else if (this.freezeWL.size > 0) this.freeze();
      else this.selectSpill();
    }
    this.assignColors();
    const colors = new Map<Reg, Reg>();
    for (const r of this.initial) if (this.color[r]! >= 0) colors.set(r, this.color[r]!);
    return this.spilledNodes.size === 0 ? { colors, liveOut } : { colors, spills: this.spillGroups(), liveOut };
  }

  /** Spilled nodes with the nodes coalesced into them; groups that do not interfere share a
   *  slot (first fit: the lowest share none of whose members is a neighbour). */
  private spillGroups(): SpillGroup[] {
    const members = new Map<Reg, Reg[]>([...this.spilledNodes].map((n) => [n, [n]]));
    for (const n of this.coalescedNodes) members.get(this.getAlias(n))?.push(n);
    const groups: SpillGroup[] = [];
    const shareOf = new Map<Reg, number>();
    let shares = 0;
    const constants = rematValues(this.fn, members);
    for (const [rep, regs] of members) {
      const remat = constants.get(rep);
      if (remat !== undefined) { groups.push({ regs, remat }); continue; }
      const taken = new Set<number>();
      for (const t of this.adjList[rep]!) { const s = shareOf.get(t); if (s !== undefined) taken.add(s); }
      let share = 0;
      while (taken.has(share)) share++;
      if (share === shares) shares++;
      shareOf.set(rep, share);
      groups.push({ regs, share });
    }
    return groups;
  }
}

/** Rounds of the whole graph, and the spilled registers (groups) over all of them. */
export interface AllocStats { rounds: number; spilled: number }

export function allocateRegisters(fn: MFunction): AllocStats {
  let spilled = 0;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const out = new Round(fn).run();
    let colors: Map<Reg, Reg> | undefined = out.colors;
    if (out.spills) {
      spilled += out.spills.length;
      rewriteSpills(fn, out.spills);
      colors = colorSpillTemps(fn, out.colors, out.liveOut);
      if (!colors) continue;
    }
    const f = (r: Reg): Reg => (r < FIRST_VREG ? r : colors.get(r)!);
    for (const b of fn.blocks) {
      for (const i of b.insts) renameRegs(i, f);
      b.insts = b.insts.filter((i) => !(i.k === "mov" && i.dst === i.src));
      b.term = renameTerm(b.term, f);
    }
    return { rounds: round, spilled };
  }
  throw new BackendError("regalloc", `register allocation of ${fn.name} did not converge`, fn.loc);
}
