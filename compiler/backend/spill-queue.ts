// The spill worklist of iterated register coalescing (regalloc.ts): nodes of significant
// degree, from which the allocator takes the one with the lowest score (spill cost per
// degree), the earliest added among equal scores, as a scan of the list in order would.
// In: a capacity and the score function; changed(n) whenever a member's score may have
// changed. Out: has/add/delete and take() in O(log n), by a binary heap whose stale
// entries (a node deleted, re-added, or rescored since) are skipped when they surface.
// A member's newest entry never scores above the member: a score that went down gets a
// new entry at once, one that went up (a neighbour simplified: most changes) only when
// its entry surfaces, scored below what it is now.

export class SpillQueue {
  private readonly seqOf: Float64Array;
  /** The score of each member's newest entry. */
  private readonly entryScore: Float64Array;
  private readonly present: Uint8Array;
  private nextSeq = 0;
  private readonly scores: number[] = [];
  private readonly seqs: number[] = [];
  private readonly nodes: number[] = [];
  size = 0;

  constructor(capacity: number, private readonly score: (n: number) => number) {
    this.seqOf = new Float64Array(capacity);
    this.entryScore = new Float64Array(capacity);
    this.present = new Uint8Array(capacity);
  }

  has(n: number): boolean {
    return this.present[n] === 1;
  }

  /** Adds n last (a node already there keeps its place). */
  add(n: number): void {
    if (this.present[n] === 1) return;
    this.present[n] = 1;
    this.seqOf[n] = this.nextSeq++;
    this.size++;
    this.push(n);
  }

  delete(n: number): void {
    if (this.present[n] !== 1) return;
    this.present[n] = 0;
    this.size--;
  }

  /** n's score may have changed. */
  changed(n: number): void {
    if (this.present[n] === 1 && this.score(n) < this.entryScore[n]!) this.push(n);
  }

  /** Removes and returns the member with the lowest score (the earliest among equals). */
  take(): number {
    for (;;) {
      const n = this.nodes[0]!;
      const current = this.present[n] === 1 && this.seqs[0] === this.seqOf[n];
      const entry = this.scores[0]!;
      this.pop();
      if (!current) continue;
      if (entry === this.score(n)) {
        this.delete(n);
        return n;
      }
      // Scored lower when it went in: in again with its score now (unless a newer entry
      // is already there).
      if (entry === this.entryScore[n]) this.push(n);
    }
  }

  private less(i: number, j: number): boolean {
    return this.scores[i]! < this.scores[j]! || (this.scores[i] === this.scores[j] && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const { scores, seqs, nodes } = this;
    const s = scores[i]!, q = seqs[i]!, n = nodes[i]!;
    scores[i] = scores[j]!; seqs[i] = seqs[j]!; nodes[i] = nodes[j]!;
    scores[j] = s; seqs[j] = q; nodes[j] = n;
  }

  private push(n: number): void {
    let i = this.nodes.length;
    const score = this.score(n);
    this.entryScore[n] = score;
    this.scores.push(score);
    this.seqs.push(this.seqOf[n]!);
    this.nodes.push(n);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private pop(): void {
    const last = this.nodes.length - 1;
    this.swap(0, last);
    this.scores.pop();
    this.seqs.pop();
    this.nodes.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
