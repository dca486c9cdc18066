// funclatency: time a function, from its entry to its return, as a log2 histogram in
// nanoseconds, microseconds or milliseconds.
//
// A port of iovisor/bcc libbpf-tools/funclatency.bpf.c (and funclatency.h, bits.bpf.h's
// log2l), here on a user function: libc's usleep(), a uprobe at its entry and a
// uretprobe at its return. The entry stamps the thread in `starts`; the return adds the
// elapsed time's slot to the global `hist`, as the original does.
//
//   bpftsc run examples/funclatency.ts --set units=1 -c "python3 -c 'import time'"
//   bpftsc run examples/funclatency.ts --set units=2 --set targ_tgid=1234 -d 10
//
// Settings (funclatency's options): targ_tgid (-p), units (0 ns, 1 us -u, 2 ms -m),
// filter_cg (-c, with a cgroup fd put in cgroup_map by user space).
//
// Differences from the original, and why:
// - The traced function is fixed when the probe is compiled: a probe point is a
//   constant of the source (uprobe("/lib/x86_64-linux-gnu/libc.so.6", "usleep", ...)),
//   where the original's user space attaches its generic programs (kprobe/dummy_kprobe,
//   fentry/dummy_fentry, or a uprobe) to the function named on its command line. To trace
//   another function, change the two probe points (a kernel function takes a kprobe and a
//   kretprobe on its name).
import { uprobe, uretprobe, HashMap, CgroupArray, pid, tid, ktimeNs, atomicAdd, type bool, type i32, type u32, type u64, type FixedArray } from "bpftsc";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";
const MAX_PIDS = 102400;
const MAX_SLOTS = 25;
const USEC = 1;
const MSEC = 2;

export const targ_tgid: i32 = 0;
export const units: i32 = 0;
export const filter_cg: bool = false;

const cgroup_map = new CgroupArray(1);
/** key: pid. value: start time */
const starts = new HashMap<u32, u64>(MAX_PIDS);

let hist!: FixedArray<u32, 25>;

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

function entry(): void {
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  if (targ_tgid !== 0 && targ_tgid !== pid()) return;
  starts.set(tid(), ktimeNs());
}

function exit(): void {
  const nsec = ktimeNs();
  const t = tid();
  if (filter_cg && !cgroup_map.currentTaskUnder(0)) return;
  const start = starts.get(t);
  if (start === undefined) return;
  let delta: u64 = nsec - start;
  switch (units) {
    case USEC:
      delta /= 1000;
      break;
    case MSEC:
      delta /= 1000000;
      break;
  }
  let slot = log2l(delta);
  if (slot >= MAX_SLOTS) slot = MAX_SLOTS - 1;
  atomicAdd(hist[slot], 1);
  starts.delete(t);
}

export const usleep_entry = uprobe(LIBC, "usleep", () => {
  entry();
});

export const usleep_exit = uretprobe(LIBC, "usleep", () => {
  exit();
});
