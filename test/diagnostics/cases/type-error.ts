// expect: BPF1000 7:12
import { kprobe, HashMap, type u32, type u64 } from "bpftsc";

const m = new HashMap<u32, u64>(16);

export const p = kprobe("vfs_read", () => {
  m.set(1, "two");
  return 0;
});
