// expect: BPF4001 5:3
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  var x = 1;
  return x;
});
