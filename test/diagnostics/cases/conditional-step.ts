// expect: BPF4002 6:3
import { kprobe, type u32, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  let i: u32 = 0;
  while (i < 10) {
    if (count > 4096) i++;
  }
  return 0;
});
