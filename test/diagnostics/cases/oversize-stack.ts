// expect: BPF5001 12:11
import { kprobe, HashMap, type u32, type u64, type FixedArray } from "bpftsc";

interface Big {
  words: FixedArray<u64, 80>;
}
const m = new HashMap<u32, Big>(4);

export const p = kprobe("vfs_read", () => {
  const v = m.get(0);
  if (v !== undefined) {
    const copy: Big = v;
    m.set(1, copy);
  }
  return 0;
});
