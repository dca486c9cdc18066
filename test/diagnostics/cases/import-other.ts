// expect: BPF2002 3:1
import { kprobe } from "bpftsc";
import { readFileSync } from "node:fs";

export const p = kprobe("vfs_read", () => 0);
