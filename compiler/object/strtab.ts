// A NUL-separated string table with deduplication, as used by ELF (.strtab) and BTF.
// In: strings, in any order. Out: each string's byte offset, and the table's bytes.
// Offset 0 is always the empty string.

export class StringTable {
  private readonly offsets = new Map<string, number>([["", 0]]);
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private length = 1;

  /** Adds `s` (once) and returns its byte offset. */
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    if (s.includes("\0")) throw new Error(`string table: NUL inside ${JSON.stringify(s)}`);
    const bytes = new TextEncoder().encode(s + "\0");
    const off = this.length;
    this.offsets.set(s, off);
    this.chunks.push(bytes);
    this.length += bytes.length;
    return off;
  }

  get size(): number {
    return this.length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}
