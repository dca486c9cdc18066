// expect: BPF1000 7:19
// message: use a counted for loop over the indexes
import { kprobe, type u32, type FixedArray } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  const a: FixedArray<u32, 2> = [1, 2];
  for (const x of a) {}
});
