// exitsnoop: trace process exits: the process, its parent, its exit code or the
// signal that ended it, and how long it lived.
//
// A port of iovisor/bcc libbpf-tools/exitsnoop.bpf.c (and exitsnoop.h): the
// sched:sched_process_exit tracepoint reads the exiting task's exit code, start time
// and parent through CO-RE.
//
//   bpftsc run examples/exitsnoop.ts -c "sh -c exit"
//   bpftsc run examples/exitsnoop.ts --set trace_failed_only=true --set trace_by_process=false
//
// Settings (exitsnoop's options): filter_cg (-c, with a cgroup fd put in cgroup_map by
// user space), target_pid (-p), trace_failed_only (-x), trace_by_process (off with -T).
//
// Differences from the original, and why:
// - Events go through a ring buffer, not a perf buffer: as libbpf-tools'
//   compat.bpf.h picks one where the kernel has it (5.8+): one buffer for all CPUs, records
//   in order.
import { tracepoint, RingBuf, CgroupArray, pid, tid, ktimeNs, comm, currentTask, type bool, type i32, type u32, type u64, type Chars } from "bpftsc";
import type { task_struct } from "./kernel.js";

export const LICENSE = "Dual BSD/GPL";

export const filter_cg: bool = false;
export const target_pid: i32 = 0;
export const trace_failed_only: bool = false;
export const trace_by_process: bool = true;

/** struct event (exitsnoop.h) */
interface Event {
  start_time: u64;
  exit_time: u64;
  pid: u32;
  tid: u32;
  ppid: u32;
  sig: u32;
  exit_code: i32;
  comm: Chars<16>;
}

const cgroup_map = new CgroupArray(1);
export const events = new RingBuf<Event>(1 << 18);

export const sched_process_exit = tracepoint("sched", "sched_process_exit", () => {
  const p = pid();
  const t = tid();
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  if (target_pid !== 0 && target_pid !== p) return;
  if (trace_by_process && p !== t) return;
  const task = currentTask<task_struct>();
  const exit_code = task.exit_code;
  if (trace_failed_only && exit_code === 0) return;
  events.output({
    start_time: task.start_time,
    exit_time: ktimeNs(),
    pid: p,
    tid: t,
    ppid: task.real_parent.tgid,
    sig: exit_code & 0xff,
    exit_code: exit_code >> 8,
    comm: comm(),
  });
});
