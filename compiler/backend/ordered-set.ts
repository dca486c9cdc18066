// An insertion-ordered set of the integers 0..capacity-1 (graph nodes, moves): the
// semantics of a JavaScript Set (adding a present element keeps its place, re-adding a
// deleted one puts it last, iteration and first() go oldest first) with O(1) add, delete
// and first() however many elements were deleted before (a Set's first element is found
// by skipping the holes deletions leave), and iteration without an iterator object
// (first(), after()). In: a capacity. Out: the set.

export class OrderedSet {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly present: Uint8Array;
  private head = -1;
  private tail = -1;
  size = 0;

  constructor(capacity: number) {
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.present = new Uint8Array(capacity);
  }

  has(x: number): boolean {
    return this.present[x] === 1;
  }

  add(x: number): void {
    if (this.present[x] === 1) return;
    this.present[x] = 1;
    this.prev[x] = this.tail;
    this.next[x] = -1;
    if (this.tail < 0) this.head = x;
    else this.next[this.tail] = x;
    this.tail = x;
    this.size++;
  }

  delete(x: number): void {
    if (this.present[x] !== 1) return;
    this.present[x] = 0;
    const p = this.prev[x]!, n = this.next[x]!;
    if (p < 0) this.head = n;
    else this.next[p] = n;
    if (n < 0) this.tail = p;
    else this.prev[n] = p;
    this.size--;
  }

  /** The oldest element, or -1 when empty. */
  first(): number {
    return this.head;
  }

  /** The element after x (a member), or -1. */
  after(x: number): number {
    return this.next[x]!;
  }

  clear(): void {
    for (let x = this.head; x >= 0; x = this.next[x]!) this.present[x] = 0;
    this.head = this.tail = -1;
    this.size = 0;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let x = this.head; x >= 0;) {
      const n = this.next[x]!;
      yield x;
      x = n;
    }
  }
}
