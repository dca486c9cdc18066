// The copies of one round of iterated register coalescing (regalloc.ts): each move's
// state, and per graph node the moves it takes part in, its own and those of the nodes
// coalesced into it. A node's moves are chains of entries (one entry per end of a move),
// which coalescing two nodes joins in O(1) instead of copying a set.
// In: the moves (destination and source node of each) and a function giving the node a
// register has been coalesced into. Out: per node, every move in the order the node got it
// (for biased coloring); the moves still to coalesce (on the worklist or active) in the
// same order; and counts of both kinds, so that "is this node move-related" costs O(1).

const WORKLIST = 0, ACTIVE = 1, DONE = 2;

export class Moves {
  readonly dst: Int32Array;
  readonly src: Int32Array;
  /** Moves to try to coalesce, oldest first. */
  private readonly worklist: number[] = [];
  private worklistHead = 0;
  private readonly inWorklist: Uint8Array;
  private readonly state: Uint8Array;
  /** Entry e is end (e & 1 ? src : dst) of move e >> 1. */
  private readonly allNext: Int32Array;
  private readonly liveNext: Int32Array;
  private readonly allHead: Int32Array;
  private readonly allTail: Int32Array;
  private readonly liveHead: Int32Array;
  private readonly liveTail: Int32Array;
  private readonly liveCount: Int32Array;
  private readonly activeCount: Int32Array;
  private readonly seen: Int32Array;
  private epoch = 0;

  constructor(nodes: number, dst: number[], src: number[], private readonly rep: (r: number) => number) {
    const n = dst.length;
    this.dst = Int32Array.from(dst);
    this.src = Int32Array.from(src);
    this.state = new Uint8Array(n);
    this.inWorklist = new Uint8Array(n).fill(1);
    this.seen = new Int32Array(n).fill(-1);
    this.allNext = new Int32Array(2 * n).fill(-1);
    this.liveNext = new Int32Array(2 * n).fill(-1);
    this.allHead = new Int32Array(nodes).fill(-1);
    this.allTail = new Int32Array(nodes).fill(-1);
    this.liveHead = new Int32Array(nodes).fill(-1);
    this.liveTail = new Int32Array(nodes).fill(-1);
    this.liveCount = new Int32Array(nodes);
    this.activeCount = new Int32Array(nodes);
    for (let m = 0; m < n; m++) {
      this.worklist.push(m);
      this.attach(2 * m, dst[m]!);
      this.attach(2 * m + 1, src[m]!);
    }
  }

  private attach(e: number, node: number): void {
    if (this.allHead[node]! < 0) this.allHead[node] = e;
    else this.allNext[this.allTail[node]!] = e;
    this.allTail[node] = e;
    if (this.liveHead[node]! < 0) this.liveHead[node] = e;
    else this.liveNext[this.liveTail[node]!] = e;
    this.liveTail[node] = e;
    this.liveCount[node]!++;
  }

  /** The other end of move m, seen from node n (both as their representatives). */
  partner(m: number, n: number): number {
    return this.rep(this.dst[m]!) === n ? this.rep(this.src[m]!) : this.rep(this.dst[m]!);
  }

  hasWork(): boolean {
    return this.worklistHead < this.worklist.length;
  }

  /** Takes the oldest move off the worklist; the caller retires or activates it. */
  take(): number {
    const m = this.worklist[this.worklistHead++]!;
    this.inWorklist[m] = 0;
    this.compactWorklist();
    return m;
  }

  private compactWorklist(): void {
    while (this.worklistHead < this.worklist.length && this.inWorklist[this.worklist[this.worklistHead]!] === 0) this.worklistHead++;
    if (this.worklistHead > 1024 && this.worklistHead * 2 > this.worklist.length) {
      this.worklist.splice(0, this.worklistHead);
      this.worklistHead = 0;
    }
  }

  /** A move that cannot be coalesced yet: back on the worklist when enable() says so. */
  activate(m: number): void {
    this.state[m] = ACTIVE;
    this.count(m, 0, 1);
  }

  /** Coalesced, constrained or frozen: never considered again. */
  retire(m: number): void {
    const s = this.state[m]!;
    if (s === DONE) return;
    if (this.inWorklist[m] === 1) { this.inWorklist[m] = 0; this.compactWorklist(); }
    this.state[m] = DONE;
    this.count(m, -1, s === ACTIVE ? -1 : 0);
  }

  /** Puts the node's active moves back on the worklist. */
  enable(n: number): void {
    if (this.activeCount[n] === 0) return;
    for (const m of this.live(n)) {
      if (this.state[m] !== ACTIVE) continue;
      this.state[m] = WORKLIST;
      this.count(m, 0, -1);
      if (this.inWorklist[m] === 0) { this.inWorklist[m] = 1; this.worklist.push(m); }
    }
  }

  private count(m: number, live: number, active: number): void {
    const a = this.rep(this.dst[m]!), b = this.rep(this.src[m]!);
    this.liveCount[a]! += live;
    this.liveCount[b]! += live;
    this.activeCount[a]! += active;
    this.activeCount[b]! += active;
  }

  /** Whether the node has moves still to coalesce. */
  related(n: number): boolean {
    return this.liveCount[n]! > 0;
  }

  /** The node's moves still to coalesce, in the order it got them. Drops retired entries
   *  from its chain on the way (a retired move never comes back). */
  live(n: number): number[] {
    const out: number[] = [];
    const epoch = ++this.epoch;
    let prev = -1;
    for (let e = this.liveHead[n]!; e >= 0; e = this.liveNext[e]!) {
      const m = e >> 1;
      if (this.state[m] === DONE) {
        if (prev < 0) this.liveHead[n] = this.liveNext[e]!;
        else this.liveNext[prev] = this.liveNext[e]!;
        if (this.liveNext[e]! < 0) this.liveTail[n] = prev;
        continue;
      }
      prev = e;
      if (this.seen[m] === epoch) continue;
      this.seen[m] = epoch;
      out.push(m);
    }
    return out;
  }

  /** Every move the node got, retired ones included, in order, each once. */
  *all(n: number): IterableIterator<number> {
    const epoch = ++this.epoch;
    for (let e = this.allHead[n]!; e >= 0; e = this.allNext[e]!) {
      const m = e >> 1;
      if (this.seen[m] === epoch) continue;
      this.seen[m] = epoch;
      yield m;
    }
  }

  /** Node `into` gets the moves of `first` and then those of `second` (coalescing). */
  merge(first: number, second: number, into: number): void {
    const join = (head: Int32Array, tail: Int32Array, next: Int32Array): void => {
      let h = head[first]!, t = tail[first]!;
      const h2 = head[second]!, t2 = tail[second]!;
      if (h2 >= 0) {
        if (h < 0) h = h2;
        else next[t] = h2;
        t = t2;
      }
      head[first] = head[second] = tail[first] = tail[second] = -1;
      head[into] = h;
      tail[into] = t;
    };
    join(this.allHead, this.allTail, this.allNext);
    join(this.liveHead, this.liveTail, this.liveNext);
    const live = this.liveCount[first]! + this.liveCount[second]!;
    const active = this.activeCount[first]! + this.activeCount[second]!;
    this.liveCount[first] = this.liveCount[second] = this.activeCount[first] = this.activeCount[second] = 0;
    this.liveCount[into] = live;
    this.activeCount[into] = active;
  }
}
