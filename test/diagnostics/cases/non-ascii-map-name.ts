// expect: BPF2008 5:7
// message: 'zähler' cannot name a map
import { kprobe, HashMap, type u32, type u64 } from "bpftsc";

const zähler = new HashMap<u32, u64>(16);
export const p = kprobe("vfs_read", () => { zähler.set(1, 1); });
