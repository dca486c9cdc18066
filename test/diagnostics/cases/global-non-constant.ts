// expect: BPF3007 4:28
import { kprobe, pid, type u32 } from "bpftsc";

export const target: u32 = pid();

export const p = kprobe("vfs_read", () => 0);
