// A latency histogram of a kernel function: the entry time is kept per thread, the
// return probe adds the elapsed time's log2 bucket to a histogram.
// (Kprobes load everywhere; they attach where the kernel has CONFIG_KPROBES.)
import { kprobe, kretprobe, HashMap, ArrayMap, tid, ktimeNs, type u32, type u64 } from "bpftsc";

const start = new HashMap<u32, u64>(10240);
const histogram = new ArrayMap<u64>(64);

/** floor(log2(v)) for v > 0, by binary search over the bit width. */
function log2(v: u64): u32 {
  let r: u32 = 0;
  if (v >= 1 << 32) { v = v >> 32; r += 32; }
  if (v >= 1 << 16) { v = v >> 16; r += 16; }
  if (v >= 1 << 8) { v = v >> 8; r += 8; }
  if (v >= 1 << 4) { v = v >> 4; r += 4; }
  if (v >= 1 << 2) { v = v >> 2; r += 2; }
  if (v >= 1 << 1) { r += 1; }
  return r;
}

export const enter = kprobe("vfs_read", () => {
  start.set(tid(), ktimeNs());
});

export const leave = kretprobe("vfs_read", () => {
  const t = tid();
  const began = start.get(t);
  if (began === undefined) return 0;
  const delta = ktimeNs() - began;
  start.delete(t);
  histogram.add(log2(delta), 1);
  return 0;
});
