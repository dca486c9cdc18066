// expect: BPF4001 11:36
import { kprobe, HashMap, type u32, type FixedArray } from "bpftsc";

interface Slots {
  v: FixedArray<u32, 4>;
}
const m = new HashMap<u32, Slots>(4);

export const p = kprobe("vfs_read", (count: u32) => {
  const s = m.get(0);
  return s === undefined ? 0 : s.v[count];
});
