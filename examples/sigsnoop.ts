// sigsnoop: trace signals: who sent which signal to which process, and the result.
//
// A port of iovisor/bcc libbpf-tools/sigsnoop.bpf.c (and sigsnoop.h). By default the
// signal:signal_generate tracepoint reports every signal generated, by whatever means;
// with kill_only (-k), the kill(), tkill() and tgkill() system calls are traced instead:
// their entry keeps the event per thread in `values`, their exit adds the return value
// and sends it.
//
//   bpftsc run examples/sigsnoop.ts -c "kill -USR1 1234"
//   bpftsc run examples/sigsnoop.ts --set kill_only=true --set failed_only=true
//   bpftsc run examples/sigsnoop.ts --set target_signals=0x100   # SIGKILL only (bit sig - 1)
//
// Settings (sigsnoop's options): filtered_pid (-p), target_signals (-s, a mask of bit
// sig - 1), failed_only (-x), kill_only (-k).
//
// Differences from the original, and why:
// - kill_only is a load-time setting that makes the handlers of the other mode return at
//   once. The original's user space turns autoload off for the programs of the other mode
//   (bpf_program__set_autoload); bpftsc loads and attaches every exported program, so all
//   seven stay attached and the setting decides which of them report (see
//   docs/tool-gaps.md).
// - The target's comm (tcomm) is always "N/A", what the original writes on kernels
//   without the bpf_task_from_pid kfunc, with which it looks the target task up: bpftsc
//   calls no kfuncs, and signal_generate's own `comm` field (the target's) is a char[16],
//   which a tracepoint handler cannot fetch (integer and pointer fields only; see
//   docs/tool-gaps.md).
// - Events go through a ring buffer, not a perf buffer: as libbpf-tools'
//   compat.bpf.h picks one where the kernel has it (5.8+): one buffer for all CPUs, records
//   in order.
import { tracepoint, HashMap, RingBuf, pid, tid, comm, pid as currentPid, type bool, type i32, type i64, type u32, type Chars } from "bpftsc";

export const LICENSE = "Dual BSD/GPL";

const MAX_ENTRIES = 10240;

export const filtered_pid: i32 = 0;
export const target_signals: i32 = 0;
export const failed_only: bool = false;
export const kill_only: bool = false;

/** struct event (sigsnoop.h) */
interface Event {
  pid: u32;
  tpid: u32;
  sig: i32;
  ret: i32;
  comm: Chars<16>;
  tcomm: Chars<16>;
}

const values = new HashMap<u32, Event>(MAX_ENTRIES);
export const events = new RingBuf<Event>(1 << 18);

function is_target_signal(sig: i32): bool {
  if (target_signals === 0) return true;
  if ((target_signals & (1 << (sig - 1))) === 0) return false;
  return true;
}

function probe_entry(tpid: i32, sig: i32): void {
  if (!kill_only) return;
  if (!is_target_signal(sig)) return;
  const p = pid();
  if (filtered_pid !== 0 && p !== filtered_pid) return;
  values.set(tid(), { pid: p, tpid, sig, ret: 0, comm: comm(), tcomm: "N/A" });
}

/** @inline (one subprogram in .text: see docs/tool-gaps.md on -S listings) */
function probe_exit(ret: i64): void {
  if (!kill_only) return;
  const t = tid();
  const eventp = values.get(t);
  if (eventp === undefined) return;
  if (!(failed_only && ret >= 0)) {
    eventp.ret = ret;
    events.output(eventp);
  }
  values.delete(t);
}

export const kill_entry = tracepoint("syscalls", "sys_enter_kill", (pid: i32, sig: i32) => {
  probe_entry(pid, sig);
});
export const kill_exit = tracepoint("syscalls", "sys_exit_kill", (ret: i64) => {
  probe_exit(ret);
});
export const tkill_entry = tracepoint("syscalls", "sys_enter_tkill", (pid: i32, sig: i32) => {
  probe_entry(pid, sig);
});
export const tkill_exit = tracepoint("syscalls", "sys_exit_tkill", (ret: i64) => {
  probe_exit(ret);
});
export const tgkill_entry = tracepoint("syscalls", "sys_enter_tgkill", (pid: i32, sig: i32) => {
  probe_entry(pid, sig);
});
export const tgkill_exit = tracepoint("syscalls", "sys_exit_tgkill", (ret: i64) => {
  probe_exit(ret);
});

export const sig_trace = tracepoint("signal", "signal_generate", (pid: i32, errno: i32, sig: i32) => {
  if (kill_only) return;
  if (failed_only && errno === 0) return;
  if (!is_target_signal(sig)) return;
  const p = currentPid(); // `pid` is the tracepoint's field: the target
  if (filtered_pid !== 0 && p !== filtered_pid) return;
  events.output({ pid: p, tpid: pid, sig, ret: errno, comm: comm(), tcomm: "N/A" });
});
