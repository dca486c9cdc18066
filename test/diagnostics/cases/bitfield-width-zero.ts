// expect: BPF3009 4:28
import { kprobe, ArrayMap, type u32, type Bits } from "bpftsc";

interface S { a: Bits<u32, 0>; b: u32 }
const m = new ArrayMap<S>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, { a: 0, b: 1 });
});
