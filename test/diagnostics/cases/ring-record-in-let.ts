// expect: BPF4006 9:11
// message: Hold the record events.reserve() gives in a const
import { kprobe, RingBuf, type u32, type u64 } from "bpftsc";

interface Ev { pid: u32; n: u64 }
const events = new RingBuf<Ev>(4096);

export const p = kprobe("vfs_read", () => {
  let e = events.reserve();
  if (e) events.submit(e);
});
