// expect: BPF2001 4:1
import { kprobe } from "bpftsc";

var counter = 0;

export const p = kprobe("vfs_read", () => 0);
