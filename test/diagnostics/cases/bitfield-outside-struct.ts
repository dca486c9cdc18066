// expect: BPF3010 4:28
import { kprobe, HashMap, type u32, type Bits } from "bpftsc";

const m = new HashMap<u32, Bits<u32, 3>>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, 1);
});
