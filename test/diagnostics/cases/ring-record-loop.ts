// expect: BPF4018 10:15
// message: is still reserved when line 10 reserves the next one
import { kprobe, RingBuf, type u32, type u64 } from "bpftsc";

interface Ev { pid: u32; n: u64 }
const events = new RingBuf<Ev>(4096);

export const p = kprobe("vfs_read", () => {
  for (let i = 0; i < 4; i++) {
    const e = events.reserve();
    if (!e) continue;
    e.n = i;
    if (i === 2) continue;
    events.submit(e);
  }
});
