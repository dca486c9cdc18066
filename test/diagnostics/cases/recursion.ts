// expect: BPF4007 5:10
import { kprobe, type u64 } from "bpftsc";

function fact(n: u64): u64 {
  return fact(n - 1) * n;
}

export const p = kprobe("vfs_read", (count: u64) => fact(count));
