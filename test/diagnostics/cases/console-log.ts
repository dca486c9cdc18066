// expect: BPF1000 6:3
// message: 'console' does not exist in BPF code: print with printk()
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", () => {
  console.log("read");
});
