// expect: BPF5002 5:34
import { kprobe, printk, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (a: u64) => {
  printk("%d %d %d %d", a, a, a, a);
  return 0;
});
