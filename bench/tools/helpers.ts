// Tool twin: many helper calls per event: who handled the workload's handle(id) request,
// where and when (pid, tid, uid, gid, cpu, time, comm), kept per request id in an LRU
// map, with a per-CPU count and a global one.
import { uprobe, LruHashMap, PerCpuArrayMap, pid, tid, uid, gid, cpu, ktimeNs, comm, type u32, type u64, type Chars } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";

interface Who {
  pid: u32;
  tid: u32;
  uid: u32;
  gid: u32;
  cpu: u32;
  ts: u64;
  comm: Chars<16>;
}

const handlers = new LruHashMap<u32, Who>(4096);
const perCpu = new PerCpuArrayMap<u64>(1);
let handled: u64 = 0;

export const onHandle = uprobe(WORKLOAD, "handle", (id: u32) => {
  handlers.set(id & 1023, { pid: pid(), tid: tid(), uid: uid(), gid: gid(), cpu: cpu(), ts: ktimeNs(), comm: comm() });
  perCpu.add(0, 1);
  handled += 1;
});
