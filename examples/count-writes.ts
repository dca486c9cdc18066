// Counts write() calls per process and sums the bytes they asked to write.
import { kprobe, HashMap, pid, type u32, type u64, type Ptr } from "bpftsc";

interface Stats {
  calls: u64;
  bytes: u64;
}

const perPid = new HashMap<u32, Stats>(10240);

export const onWrite = kprobe("ksys_write", (fd: u32, buf: Ptr<unknown>, count: u64) => {
  const key = pid();
  const s = perPid.get(key);
  if (s === undefined) {
    perPid.set(key, { calls: 1, bytes: count });
  } else {
    s.calls += 1;
    s.bytes += count;
  }
  return 0;
});
