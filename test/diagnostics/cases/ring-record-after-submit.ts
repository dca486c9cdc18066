// expect: BPF4019 12:3
// message: was submitted at line 11; after that it belongs to the ring, and the program cannot use it
import { kprobe, RingBuf, pid, type u32, type u64 } from "bpftsc";

interface Ev { pid: u32; n: u64 }
const events = new RingBuf<Ev>(4096);

export const p = kprobe("vfs_read", () => {
  const e = events.reserve();
  if (!e) return;
  events.submit(e);
  e.n = 1;
});
