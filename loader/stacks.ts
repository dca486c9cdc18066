// A BPF_MAP_TYPE_STACK_TRACE map (a probe's StackTraceMap) from user space: stacks by the
// id bpf_get_stackid returned. In: a MapSource (u32 keys, values of depth u64 return
// addresses). Out: a StackMap: get(id) gives a stack's frames, innermost first, up to the
// first zero (the kernel zeroes the slots a shorter stack leaves); entries() every stored
// stack; delete(id) frees an id for the kernel to reuse.

import { MapBase } from "./maps.js";

export class StackMap extends MapBase<number> {
  /** How many frames a stack holds at most. */
  get depth(): number { return this.src.valueSize / 8; }

  /** The stack's return addresses, innermost first; undefined for an id not in use. */
  get(id: number): bigint[] | undefined {
    const out = new Uint8Array(this.src.valueSize);
    return this.lookup(this.encodeKey(id), out) ? frames(out) : undefined;
  }

  *entries(): IterableIterator<[number, bigint[]]> {
    const out = new Uint8Array(this.src.valueSize);
    for (const raw of this.rawKeys()) {
      if (!this.lookup(raw, out)) continue; // freed meanwhile
      yield [new DataView(raw.buffer).getUint32(0, true), frames(out)];
    }
  }

  [Symbol.iterator](): IterableIterator<[number, bigint[]]> {
    return this.entries();
  }
}

function frames(bytes: Uint8Array): bigint[] {
  const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const end = words.indexOf(0n);
  return [...(end < 0 ? words : words.subarray(0, end))];
}
