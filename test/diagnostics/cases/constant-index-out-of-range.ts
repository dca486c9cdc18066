// expect: BPF4001 9:16
// message: Index 3 outside 0..2
import { kprobe, HashMap, type u32, type i64, type FixedArray } from "bpftsc";

const out = new HashMap<u32, i64>(4);
let g: FixedArray<i64, 3> = [5, 6, 7];

export const p = kprobe("vfs_read", () => {
  out.set(0, g[3]);
});
