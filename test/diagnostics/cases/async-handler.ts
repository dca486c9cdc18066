// expect: BPF1000 4:49
import { kprobe } from "bpftsc";

export const p = kprobe("vfs_read", async () => 0);
