// expect: BPF3009 4:43
import { kprobe, ArrayMap, type u8, type Bits } from "bpftsc";

interface S { a: Bits<u8, 3>; b: Bits<u8, 9> }
const m = new ArrayMap<S>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, { a: 0, b: 1 });
});
