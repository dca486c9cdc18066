// expect: BPF5002 5:46
import { kprobe, printk, type u64 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u64) => {
  printk("%d %d %d %d", count, count, count, count);
  return 0;
});
