// expect: BPF4001 5:1
// message: Generator and async functions
import { kprobe } from "bpftsc";

function* ids() { yield 1; }

export const p = kprobe("vfs_read", () => 0);
