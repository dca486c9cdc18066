// A probe for the loader tests: struct-valued hash map, per-CPU map, array-map histogram
// and ring-buffer events from record() in test/loader/workload.c. The tests compile a copy
// naming one build of the workload (workload.ts, probeFor) and attach the program at run
// time to another build: the binary in the section is only the default.
import { uprobe, HashMap, PerCpuHashMap, ArrayMap, RingBuf, readStr, cpu, type i64, type u32, type u64, type Chars, type Ptr } from "bpftsc";

export interface Stats {
  calls: u64;
  bytes: u64;
  lastDelta: i64;
}

export interface Event {
  id: u32;
  cpu: u32;
  bytes: u64;
  delta: i64;
  name: Chars<16>;
}

export const perId = new HashMap<u32, Stats>(64);
export const callsPerCpu = new PerCpuHashMap<u32, u64>(8);
export const sizes = new ArrayMap<u64>(16);
export const events = new RingBuf<Event>(65536);

export const onRecord = uprobe("/nonexistent/loader-workload", "record", (id: u32, bytes: u64, name: Ptr<unknown>, delta: i64) => {
  const s = perId.get(id);
  if (s === undefined) perId.set(id, { calls: 1, bytes, lastDelta: delta });
  else {
    s.calls += 1;
    s.bytes += bytes;
    s.lastDelta = delta;
  }
  callsPerCpu.add(id, 1);
  sizes.add((bytes / 1000) as u32, 1);
  events.output({ id, cpu: cpu(), bytes, delta, name: readStr(name) });
});
