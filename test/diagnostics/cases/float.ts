// expect: BPF3002 5:13
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  const x = 1.5;
  return x;
});
