// Tool twin: a latency histogram with log2 buckets per device, as biolatency keeps one.
// The workload's io_done(dev, latency_ns, bytes) is the completion; the key is a struct.
import { uprobe, HashMap, type u32, type u64 } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";
const MAX_SLOTS = 27;

interface HistKey {
  dev: u32;
  slot: u32;
}

const hists = new HashMap<HistKey, u64>(1024);

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

export const onIoDone = uprobe(WORKLOAD, "io_done", (dev: u32, latency_ns: u64) => {
  let slot = log2(latency_ns / 1000);
  if (slot >= MAX_SLOTS) slot = MAX_SLOTS - 1;
  hists.add({ dev, slot }, 1);
});
