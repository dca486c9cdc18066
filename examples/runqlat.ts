// runqlat: how long runnable tasks wait on a CPU's run queue before they run, as a
// power-of-two histogram (microseconds, or milliseconds).
//
// A port of iovisor/bcc libbpf-tools/runqlat.bpf.c (and runqlat.h, bits.bpf.h's log2l,
// core_fixes.bpf.h's get_task_state). A wakeup stamps the woken task in `start`; so does
// a switch away from a task that is still runnable (preempted); the switch to a task adds
// the time since its stamp to a histogram.
//
//   bpftsc run examples/runqlat.ts -d 5
//   bpftsc run examples/runqlat.ts --set targ_per_process=true -c "sleep 1"
//
// Settings (runqlat's options): filter_cg (-c, with a cgroup fd put in cgroup_map by user
// space), targ_per_process (-P), targ_per_thread (-L), targ_ms (-m), targ_tgid (-p).
//
// Differences from the original, and why:
// - Only the raw_tp programs are ported. The original has tp_btf and raw_tp twins and its
//   user space turns autoload off for one set; bpftsc loads every exported program, and
//   this machine's kernel refuses tracing programs (tp_btf), while raw tracepoints attach
//   everywhere. Arguments are read from the raw tracepoint's u64 slots, so task fields go
//   through CO-RE probe reads, as in the original's raw_tp handlers (BPF_CORE_READ).
// - The machine-wide histogram (the original's `hists` entry under key -1) is a Log2Hist,
//   `latency`, which `bpftsc run` draws as bpftrace draws hist(): its buckets are
//   bpftrace's (zero alone in [0], then [2^k, 2^(k+1))), where log2l() puts 0 and 1 in
//   slot 0, and it has 64 of them, not MAX_SLOTS = 26. The per-process and per-thread
//   histograms are the original's: struct hist in `hists`, log2l slots clamped to 25,
//   the comm filled on first use.
// - --pidnss (targ_per_pidns) is not ported: its key is pid->numbers[pid->level].ns->ns.inum,
//   and struct pid's `numbers` is a flexible array member (upid numbers[]), which a
//   kernel struct access cannot index (see docs/tool-gaps.md).
import {
  rawTracepoint, HashMap, Log2Hist, CgroupArray, ktimeNs, atomicAdd, fieldExists, toAddress, toKernelPtr,
  type bool, type i32, type i64, type u32, type u64, type Ptr, type Chars, type FixedArray,
} from "bpftsc";
import type { task_struct } from "./kernel.js";

const MAX_ENTRIES = 10240;
const MAX_SLOTS = 26;
const TASK_RUNNING = 0;

export const filter_cg: bool = false;
export const targ_per_process: bool = false;
export const targ_per_thread: bool = false;
export const targ_ms: bool = false;
export const targ_tgid: i32 = 0;

/** struct hist (runqlat.h) */
interface Hist {
  slots: FixedArray<u32, 26>;
  comm: Chars<16>;
}

/** task_struct before 5.14 named its state `state` (a long); core_fixes.bpf.h's
 *  task_struct___o. */
/** @kernel task_struct___o */
interface task_struct___o {
  state: i64;
}

let zero!: Hist;

const cgroup_map = new CgroupArray(1);
const start = new HashMap<u32, u64>(MAX_ENTRIES);
const hists = new HashMap<u32, Hist>(MAX_ENTRIES);
const latency = new Log2Hist();

/** bits.bpf.h: floor(log2(v)) of a 32-bit value, without branches. */
function log2(v: u32): u64 {
  let r: u32 = (v > 0xffff ? 1 : 0) << 4;
  v >>= r;
  let shift: u32 = (v > 0xff ? 1 : 0) << 3;
  v >>= shift;
  r |= shift;
  shift = (v > 0xf ? 1 : 0) << 2;
  v >>= shift;
  r |= shift;
  shift = (v > 0x3 ? 1 : 0) << 1;
  v >>= shift;
  r |= shift;
  r |= v >> 1;
  return r;
}

/** bits.bpf.h: floor(log2(v)) of a 64-bit value (0 for 0). */
function log2l(v: u64): u64 {
  const hi: u32 = v >> 32;
  return hi !== 0 ? log2(hi) + 32 : log2(v);
}

/** core_fixes.bpf.h: the task's state, from __state (5.14 and later) or state. */
function get_task_state(t: Ptr<task_struct>): i64 {
  if (fieldExists(t.__state)) return t.__state;
  return toKernelPtr<task_struct___o>(toAddress(t)).state;
}

function trace_enqueue(tgid: u32, pid: u32): void {
  if (pid === 0) return;
  if (targ_tgid !== 0 && targ_tgid !== tgid) return;
  start.set(pid, ktimeNs());
}

export const handle_sched_wakeup = rawTracepoint("sched_wakeup", (p: Ptr<task_struct>) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  trace_enqueue(p.tgid, p.pid);
});

export const handle_sched_wakeup_new = rawTracepoint("sched_wakeup_new", (p: Ptr<task_struct>) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  trace_enqueue(p.tgid, p.pid);
});

export const handle_sched_switch = rawTracepoint("sched_switch", (preempt: bool, prev: Ptr<task_struct>, next: Ptr<task_struct>) => {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  if (get_task_state(prev) === TASK_RUNNING) trace_enqueue(prev.tgid, prev.pid);
  const pid: u32 = next.pid;
  const tsp = start.get(pid);
  if (tsp === undefined) return;
  let delta: i64 = ktimeNs() - tsp;
  if (delta >= 0) {
    if (targ_ms) delta /= 1000000;
    else delta /= 1000;
    if (targ_per_process || targ_per_thread) {
      const hkey: u32 = targ_per_process ? next.tgid : pid;
      const histp = hists.getOrInit(hkey, zero);
      if (histp !== undefined) {
        if (histp.comm[0] === "\0") histp.comm = next.comm;
        let slot = log2l(delta);
        if (slot >= MAX_SLOTS) slot = MAX_SLOTS - 1;
        atomicAdd(histp.slots[slot], 1);
      }
    } else {
      latency.observe(delta);
    }
  }
  start.delete(pid);
});
