// expect: BPF3011 4:16
import { kprobe, ArrayMap, type u32, type Union } from "bpftsc";

type V = Union<u32>;
const m = new ArrayMap<V>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, 1);
});
