// expect: BPF1000 5:13
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  const x = ;
  return 0;
});
