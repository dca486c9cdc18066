// A set of unordered pairs of integers in 0..n-1 (the interference relation), as an
// open-addressing hash table: memory in proportion to the pairs held, not n * n.
// In: n. Out: has/add of pairs {u, v}.

export class PairSet {
  private keys: Float64Array;
  private mask: number;
  private count = 0;

  constructor(private readonly n: number, expected = 64) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private key(u: number, v: number): number {
    return u < v ? u * this.n + v : v * this.n + u;
  }

  private static slot(key: number, mask: number): number {
    // Both halves of the key (it may exceed 2^32) mixed into a table index.
    const lo = key >>> 0, hi = (key / 4294967296) >>> 0;
    const h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
    return (h ^ (h >>> 16)) & mask;
  }

  has(u: number, v: number): boolean {
    const k = this.key(u, v);
    for (let i = PairSet.slot(k, this.mask); ; i = (i + 1) & this.mask) {
      const x = this.keys[i]!;
      if (x === k) return true;
      if (x < 0) return false;
    }
  }

  /** Adds {u, v}; false when it was there already. */
  add(u: number, v: number): boolean {
    const k = this.key(u, v);
    for (let i = PairSet.slot(k, this.mask); ; i = (i + 1) & this.mask) {
      const x = this.keys[i]!;
      if (x === k) return false;
      if (x < 0) {
        this.keys[i] = k;
        if (++this.count * 2 > this.mask) this.grow();
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Float64Array(old.length * 2).fill(-1);
    this.mask = this.keys.length - 1;
    for (const k of old) {
      if (k < 0) continue;
      let i = PairSet.slot(k, this.mask);
      while (this.keys[i]! >= 0) i = (i + 1) & this.mask;
      this.keys[i] = k;
    }
  }
}
