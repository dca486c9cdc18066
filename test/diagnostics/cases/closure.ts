// expect: BPF4001 5:17
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  const twice = (x: number) => x * 2;
  return twice(2);
});
