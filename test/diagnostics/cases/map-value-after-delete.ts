// expect: BPF4009 13:5
import { kprobe, HashMap, type u32, type u64 } from "bpftsc";

interface Stats { calls: u64 }
const stats = new HashMap<u32, Stats>(16);

export const p = kprobe("vfs_read", () => {
  const s = stats.get(1);
  if (s === undefined) return 0;
  if (s.calls > 100) {
    stats.delete(1);
    // The entry is freed: the write would land in whatever reuses it.
    s.calls = 0;
  }
  return 0;
});
