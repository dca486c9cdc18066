// expect: BPF4005 8:10
import { kprobe, HashMap, type u32, type u64 } from "bpftsc";

const m = new HashMap<u32, u64>(16);

export const p = kprobe("vfs_read", () => {
  const v = m.get(1);
  return v! + 1;
});
