// expect: BPF2004 4:29
import { kprobe, RingBuf, type u64 } from "bpftsc";

const rb = new RingBuf<u64>(5000);

export const p = kprobe("vfs_read", () => 0);
