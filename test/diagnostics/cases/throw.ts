// expect: BPF4001 5:3
import { kprobe, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  throw count;
});
