// expect: BPF4017 6:10
// message: printk(): the format has more conversions than the 1 value after it
import { kprobe, printk, type u32 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u32) => {
  printk("read %u of %u\n", count);
});
