// expect: BPF3006 4:5
import { kprobe } from "bpftsc";

let counter = 0;

export const p = kprobe("vfs_read", () => 0);
