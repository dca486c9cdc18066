// expect: BPF2009 6:11
// message: a 600-byte key
import { kprobe, HashMap, type u8, type u64, type FixedArray } from "bpftsc";

interface Key { a: FixedArray<u8, 300>; b: FixedArray<u8, 300> }
const m = new HashMap<Key, u64>(16);
export const p = kprobe("vfs_read", () => 0);
