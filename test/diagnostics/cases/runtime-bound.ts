// expect: BPF4002 6:3
import { kprobe, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  let s: u64 = 0;
  for (let i = 0; i < count; i++) {
    s += i;
  }
  return s;
});
