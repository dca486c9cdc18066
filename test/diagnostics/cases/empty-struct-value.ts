// expect: BPF2009 6:11
// message: Map m: its value type has no bytes
import { kprobe, HashMap, type u32 } from "bpftsc";

interface Empty {}
const m = new HashMap<u32, Empty>(16);
export const p = kprobe("vfs_read", () => 0);
