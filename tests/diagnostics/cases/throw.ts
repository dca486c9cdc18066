// expect: BPF4001 5:3
import { kprobe, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (n: u64) => {
  throw n;
});
