// expect: BPF3001 4:41
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", (n: number) => {
  return n;
});
