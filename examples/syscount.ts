// syscount: count system calls, per syscall or per process, with their total latency.
//
// A port of iovisor/bcc libbpf-tools/syscount.bpf.c (and syscount.h). raw_syscalls
// sys_enter stamps each thread's entry in `start` (used only with measure_latency);
// sys_exit counts the call under its syscall number, or under the process's pid with the
// process's name, after the pid and failed/errno filters.
//
//   bpftsc run examples/syscount.ts -d 5
//   bpftsc run examples/syscount.ts --set count_by_process=true --set measure_latency=true -c "ls /"
//   bpftsc run examples/syscount.ts --set filter_errno=2 -c "cat /nonexistent"
//
// Settings (syscount's options): filter_cg (-c, with a cgroup fd put in cgroup_map by user
// space), count_by_process (-P), measure_latency (-L), filter_failed (-x), filter_errno
// (-e), filter_pid (-p).
//
// Differences from the original, and why:
// - The process name is copied from current->group_leader->comm with one probe read of
//   its 16 bytes (a kernel Chars field read through CO-RE), where the original's
//   BPF_CORE_READ_STR_INTO uses bpf_probe_read_kernel_str: the same bytes, as comm is
//   NUL-padded in the kernel.
// - `data` is printed by `bpftsc run` as it is, keyed by syscall number or pid; the
//   original's user space sorts it, names the syscalls and prints the top ten.
import { tracepoint, HashMap, CgroupArray, pid, tid, ktimeNs, atomicAdd, currentTask, type bool, type i32, type i64, type u32, type u64, type Chars } from "bpftsc";
import type { task_struct } from "./kernel.js";

const MAX_ENTRIES = 8192;

export const filter_cg: bool = false;
export const count_by_process: bool = false;
export const measure_latency: bool = false;
export const filter_failed: bool = false;
export const filter_errno: i32 = 0;
export const filter_pid: i32 = 0;

/** struct data_t */
interface Data {
  count: u64;
  total_ns: u64;
  comm: Chars<16>;
}

let zero!: Data;

const cgroup_map = new CgroupArray(1);
const start = new HashMap<u32, u64>(MAX_ENTRIES);
const data = new HashMap<u32, Data>(MAX_ENTRIES);

export const sys_enter = tracepoint("raw_syscalls", "sys_enter", () => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  if (filter_pid !== 0 && pid() !== filter_pid) return;
  start.set(tid(), ktimeNs());
});

export const sys_exit = tracepoint("raw_syscalls", "sys_exit", (id: i64, ret: i64) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  // this happens when there is an interrupt
  if (id === -1) return;
  if (filter_pid !== 0 && pid() !== filter_pid) return;
  if (filter_failed && ret >= 0) return;
  if (filter_errno !== 0 && ret !== -filter_errno) return;
  let lat: u64 = 0;
  if (measure_latency) {
    const start_ts = start.get(tid());
    if (start_ts === undefined) return;
    lat = ktimeNs() - start_ts;
  }
  const key: u32 = count_by_process ? pid() : id;
  const val = data.getOrInit(key, zero);
  if (val !== undefined) {
    atomicAdd(val.count, 1);
    if (count_by_process) val.comm = currentTask<task_struct>().group_leader.comm;
    if (measure_latency) atomicAdd(val.total_ns, lat);
  }
});
