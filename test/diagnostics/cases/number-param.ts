// expect: BPF3001 4:45
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", (count: number) => {
  return count;
});
