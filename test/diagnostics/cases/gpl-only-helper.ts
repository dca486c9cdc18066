// expect: BPF5005 6:18
// message: LICENSE "MIT" is not GPL-compatible, and the kernel gives bpf_trace_printk only to GPL-compatible programs
import { kprobe, printk } from "bpftsc";

const LICENSE = "MIT";
export const p = kprobe("vfs_read", () => {
  printk("read\n");
});
