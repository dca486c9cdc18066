// expect: BPF4002 5:3
import { kprobe, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  for (let i = 0; i < 10; i++) {
    i = i - 1;
  }
  return count;
});
