// expect: BPF4002 6:3
import { kprobe, type u8, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  let n: u64 = 0;
  for (let i: u8 = 0; i < 256; i++) n += count;
  return n;
});
