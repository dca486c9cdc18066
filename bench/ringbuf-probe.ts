// The probe of bench/ringbuf.ts: a 64-byte record per getppid() call, by any process.
// seq numbers the records offered, from 1; two CPUs may interleave their adds and reads,
// so seq orders one process's records only.
import { tracepoint, RingBuf, ArrayMap, ktimeNs, pid, cpu, comm, type u32, type u64, type Chars } from "bpftsc";

export interface Record64 { seq: u64; time: u64; a: u64; b: u64; c: u64; pid: u32; cpu: u32; name: Chars<16> }

/** 16 MiB: 233,016 records of 64 bytes and their 8-byte headers. */
export const events = new RingBuf<Record64>(16777216);
export const offered = new ArrayMap<u64>(1);

export const onGetppid = tracepoint("syscalls", "sys_enter_getppid", () => {
  offered.add(0, 1);
  const seq = offered.get(0) ?? 0;
  events.output({ seq, time: ktimeNs(), a: seq * 3, b: seq ^ 0xff, c: 7, pid: pid(), cpu: cpu(), name: comm() });
});
