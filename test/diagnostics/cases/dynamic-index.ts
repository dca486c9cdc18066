// expect: BPF4001 9:17
import { kprobe, type u32, type Ptr, type FixedArray } from "bpftsc";

interface Slots {
  v: FixedArray<u32, 4>;
}

export const p = kprobe("vfs_read", (file: Ptr<Slots>, count: u32) => {
  return file.v[count];
});
