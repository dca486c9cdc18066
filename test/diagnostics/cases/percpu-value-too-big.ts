// expect: BPF2009 6:11
// message: a 65536-byte per-CPU value, which the kernel refuses (at most 32768 bytes per CPU)
import { kprobe, PerCpuArrayMap, type u64, type FixedArray } from "bpftsc";

interface Big { a: FixedArray<u64, 4096>; b: FixedArray<u64, 4096> }
const m = new PerCpuArrayMap<Big>(1);
export const p = kprobe("vfs_read", () => 0);
