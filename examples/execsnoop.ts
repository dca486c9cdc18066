// execsnoop: trace execve(): every program started, with its parent, user, return
// value and arguments.
//
// A port of iovisor/bcc libbpf-tools/execsnoop.bpf.c (and execsnoop.h). sys_enter_execve
// puts an event for the thread in `execs` and reads the file name and argv[1..] into it
// from user memory; sys_exit_execve adds the return value and the new comm and sends it.
//
//   bpftsc run examples/execsnoop.ts -c "/bin/true hello world"
//   bpftsc run examples/execsnoop.ts --set ignore_failed=false --set max_args=4
//
// Settings (execsnoop's options): filter_cg (-c, with a cgroup fd put in cgroup_map by
// user space), ignore_failed (off with -x), targ_uid (-u), max_args (--max-args).
//
// Differences from the original, and why:
// - Arguments are kept one per 128-byte slot (`args: FixedArray<Chars<128>, 60>`), not
//   packed one after another in one char[] at offsets the previous reads returned
//   (readStrInto() could pack them): `bpftsc run` prints a char[] up to its first NUL, so
//   packed arguments would show argv[0] only (see docs/tool-gaps.md). So there is no
//   args_size, and the record has a fixed size (the original sends only
//   BASE_EVENT_SIZE + args_size bytes).
// - The original checks whether argv[max_args] can be read and counts one argument more
//   if so (user space prints "..."); a probe read through a pointer here yields 0 on a
//   fault rather than an error, so that last count is added without the read (argv is
//   readable up to its NULL, which comes after argv[max_args] when the loop ran to
//   max_args).
// - Records go through a ring buffer (bpf_ringbuf_output from the map value), not the
//   original's perf buffer, as libbpf-tools' compat.bpf.h picks one where the kernel has
//   it (5.8+): one buffer for all CPUs, records in order.
import {
  tracepoint, HashMap, RingBuf, CgroupArray, pid, tid, uid, comm, readStr, currentTask, toAddress, toUserPtr,
  type bool, type i32, type i64, type u8, type u32, type u64, type Ptr, type Chars, type FixedArray,
} from "bpftsc";
import type { task_struct } from "./kernel.js";

const INVALID_UID = 0xffffffff;
const TOTAL_MAX_ARGS = 60;

export const filter_cg: bool = false;
export const ignore_failed: bool = true;
export const targ_uid: u32 = INVALID_UID;
export const max_args: i32 = 20;

/** struct event (execsnoop.h), the arguments one per slot. */
interface Event {
  pid: i32;
  ppid: i32;
  uid: u32;
  retval: i32;
  args_count: i32;
  comm: Chars<16>;
  args: FixedArray<Chars<128>, 60>;
}

/** One slot of the argv array in user memory. */
interface ArgvSlot {
  p: u64;
}

let empty_event!: Event;

const cgroup_map = new CgroupArray(1);
const execs = new HashMap<i32, Event>(10240);
export const events = new RingBuf<Event>(1 << 18);

/** argv[i]: the argument's address, 0 at the end (or where argv cannot be read). */
function argAt(argv: u64, i: u32): u64 {
  return toUserPtr<ArgvSlot>(argv + i * 8).p;
}

export const tracepoint__syscalls__sys_enter_execve = tracepoint("syscalls", "sys_enter_execve", (filename: Ptr<u8>, argv: Ptr<u64>) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  const u = uid();
  if (targ_uid !== INVALID_UID && targ_uid !== u) return;
  const t: i32 = tid();
  if (!execs.insert(t, empty_event)) return;
  const e = execs.get(t);
  if (e === undefined) return;
  e.pid = pid();
  e.uid = u;
  e.ppid = currentTask<task_struct>().real_parent.tgid;
  e.args[0] = readStr(filename);
  e.args_count = 1;
  const a = toAddress(argv);
  for (let i: u32 = 1; i < TOTAL_MAX_ARGS && i < max_args; i++) {
    const p = argAt(a, i);
    if (p === 0) return;
    e.args[i] = readStr(p);
    e.args_count++;
  }
  // The loop reached max_args: one argument more (see the header).
  e.args_count++;
});

export const tracepoint__syscalls__sys_exit_execve = tracepoint("syscalls", "sys_exit_execve", (ret: i64) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  const u = uid();
  if (targ_uid !== INVALID_UID && targ_uid !== u) return;
  const t: i32 = tid();
  const e = execs.get(t);
  if (e === undefined) return;
  if (!(ignore_failed && ret < 0)) {
    e.retval = ret;
    e.comm = comm();
    events.output(e);
  }
  execs.delete(t);
});
