// expect: BPF4018 11:20
// message: The record events.reserve() gave at line 9 is still reserved where the program returns
import { kprobe, RingBuf, pid, type u32, type u64 } from "bpftsc";

interface Ev { pid: u32; n: u64 }
const events = new RingBuf<Ev>(4096);

export const p = kprobe("vfs_read", () => {
  const e = events.reserve();
  if (!e) return;
  if (pid() === 1) return;
  e.pid = pid();
  events.submit(e);
});
