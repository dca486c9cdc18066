// expect: BPF4012 8:20
import { kprobe, ArrayMap, type u16, type u32, type Union } from "bpftsc";

type V = Union<{ a: u32; b: u16 }>;
const m = new ArrayMap<V>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, { a: 1, b: 2 });
});
