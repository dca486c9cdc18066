// expect: BPF4017 6:10
// message: printk(): '%f' is not a conversion bpf_trace_printk knows
import { kprobe, printk, type u32 } from "bpftsc";

export const p = kprobe("vfs_read", (count: u32) => {
  printk("read %f\n", count);
});
