// expect: BPF4001 5:13
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  const s = "hello";
  return 0;
});
