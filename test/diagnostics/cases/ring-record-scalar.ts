// expect: BPF4006 7:13
// message: which a u64 is not: send it with events.output(value)
import { kprobe, RingBuf, type u64 } from "bpftsc";

const events = new RingBuf<u64>(4096);
export const p = kprobe("vfs_read", () => {
  const e = events.reserve();
  if (e) events.submit(e);
});
