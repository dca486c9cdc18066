// opensnoop: trace open(), openat() and openat2(): who opened which file, with which
// flags and mode, and what the call returned (a file descriptor, or -errno).
//
// A port of iovisor/bcc libbpf-tools/opensnoop.bpf.c (and opensnoop.h). The entry
// tracepoints keep the arguments per thread in `start`; the exit tracepoints read them
// back, apply the failed-only filter and send one record per call.
//
//   bpftsc run examples/opensnoop.ts -c "cat /etc/hostname"
//   bpftsc run examples/opensnoop.ts --set targ_failed=true --set targ_uid=1000
//
// Settings (opensnoop's options): targ_tgid (-p), targ_pid (-t), targ_uid (-u),
// targ_failed (-x).
//
// Differences from the original, and why:
// - The entry handlers name the tracepoints' fields (filename, flags, mode, how) where
//   the original indexes `struct syscall_trace_enter`'s args[]: the same values.
// - targ_uid defaults to INVALID_UID here. The original's BPF default is 0, but its user
//   space always writes INVALID_UID unless -u is given; `bpftsc run` uses the object's
//   defaults, so the default must already mean "every user".
// - The record is built on the BPF stack and copied with bpf_ringbuf_output; the
//   original reserves it in the ring (reserve_buf/submit_buf of compat.bpf.h) or, on
//   kernels without ring buffers, in a per-CPU heap sent through a perf buffer. bpftsc
//   has no reserve/submit (see docs/tool-gaps.md), so the record must fit the 512-byte
//   stack: the file name is one NAME_MAX buffer (`fname`), not struct full_path's
//   32 x NAME_MAX components, and -F (full_path: bpf_getcwd walking the dentries of the
//   cwd) is not ported.
// - The original event's `ts` is never written by its BPF side (user space stamps each
//   event as it prints it); it is left out here.
// - `callers` are the two user return addresses after the syscall's own, from
//   bpf_get_stack into a 3-slot buffer as in the original.
import {
  tracepoint, HashMap, RingBuf, pid, tid, uid, comm, readStr, userStack, toAddress,
  type bool, type i32, type i64, type u8, type u32, type u64, type Ptr, type Chars, type FixedArray,
} from "bpftsc";

const O_CREAT = 0o100;
const O_TMPFILE = 0o20200000;
const INVALID_UID = 0xffffffff;

export const targ_pid: i32 = 0;
export const targ_tgid: i32 = 0;
export const targ_uid: u32 = INVALID_UID;
export const targ_failed: bool = false;

/** struct args_t */
interface Args {
  fname: u64;
  flags: i32;
  mode: u32;
}

/** struct event (opensnoop.h), the name one NAME_MAX buffer. */
interface Event {
  pid: i32;
  uid: u32;
  ret: i32;
  flags: i32;
  mode: u32;
  callers: FixedArray<u64, 2>;
  comm: Chars<16>;
  fname: Chars<255>;
}

/** The UAPI struct open_how that openat2() reads from user memory. */
interface OpenHow {
  flags: u64;
  mode: u64;
  resolve: u64;
}

const start = new HashMap<u32, Args>(10240);
export const events = new RingBuf<Event>(1024 * 256);

function trace_allowed(tgid: u32, tid: u32): bool {
  if (targ_tgid !== 0 && targ_tgid !== tgid) return false;
  if (targ_pid !== 0 && targ_pid !== tid) return false;
  if (targ_uid !== INVALID_UID && targ_uid !== uid()) return false;
  return true;
}

export const tracepoint__syscalls__sys_enter_open = tracepoint("syscalls", "sys_enter_open", (filename: Ptr<u8>, flags: i32, mode: u32) => {
  if (trace_allowed(pid(), tid())) start.set(tid(), { fname: toAddress(filename), flags, mode });
});

export const tracepoint__syscalls__sys_enter_openat = tracepoint("syscalls", "sys_enter_openat", (filename: Ptr<u8>, flags: i32, mode: u32) => {
  if (trace_allowed(pid(), tid())) start.set(tid(), { fname: toAddress(filename), flags, mode });
});

export const tracepoint__syscalls__sys_enter_openat2 = tracepoint("syscalls", "sys_enter_openat2", (filename: Ptr<u8>, how: Ptr<OpenHow>) => {
  if (trace_allowed(pid(), tid())) start.set(tid(), { fname: toAddress(filename), flags: how.flags, mode: how.mode });
});

/** @inline: bpf_get_stack needs the program's context. */
function trace_exit(ret: i64): void {
  const t = tid();
  const ap = start.get(t);
  if (ap === undefined) return; // missed entry
  if (!(targ_failed && ret >= 0)) {
    const stack: FixedArray<u64, 3> = [0, 0, 0] as FixedArray<u64, 3>;
    userStack(stack);
    events.output({
      pid: pid(),
      uid: uid(),
      ret,
      flags: ap.flags,
      mode: (ap.flags & O_CREAT) !== 0 || (ap.flags & O_TMPFILE) === O_TMPFILE ? ap.mode : 0,
      callers: [stack[1], stack[2]] as FixedArray<u64, 2>,
      comm: comm(),
      fname: readStr(ap.fname),
    });
  }
  start.delete(t);
}

export const tracepoint__syscalls__sys_exit_open = tracepoint("syscalls", "sys_exit_open", (ret: i64) => {
  trace_exit(ret);
});

export const tracepoint__syscalls__sys_exit_openat = tracepoint("syscalls", "sys_exit_openat", (ret: i64) => {
  trace_exit(ret);
});

export const tracepoint__syscalls__sys_exit_openat2 = tracepoint("syscalls", "sys_exit_openat2", (ret: i64) => {
  trace_exit(ret);
});
