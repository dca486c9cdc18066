// The perf-buffer, stack-trace and cgroup tests' probe (test/loader/perfbuf.test.ts and
// test/cli/run-events.test.ts compile a copy naming their build of
// test/harness/targets/events.c): a record per step() call into a PerfEventArray, the
// user stack of step() and the kernel stack of the target's getppid() calls by id in a
// StackTraceMap, and whether each step ran in the cgroup at index 0 of a CgroupArray.
import { uprobe, tracepoint, PerfEventArray, StackTraceMap, CgroupArray, ArrayMap, HashMap, comm, pid, type i64, type u32, type u64, type Chars } from "bpftsc";

export interface Step { i: u32; scaled: u64; name: Chars<16> }

const TARGET = "/nonexistent/events";

export const steps = new PerfEventArray<Step>();
// Stacks hash into buckets, and one whose bucket another stack holds gets no id (-EEXIST,
// as without BPF_F_REUSE_STACKID): 4096 buckets make that unlikely for the few here.
export const stacks = new StackTraceMap(4096, 32);
export const groups = new CgroupArray(1);
/** Steps outside the cgroup (index 0) and under it (index 1). */
export const inGroup = new ArrayMap<u64>(2);
/** The processes of the probed binary (the tracepoint fires for every process). */
const targets = new HashMap<u32, u32>(64);
export let userStackId: i64 = -1;
export let kernelStackId: i64 = -1;

export const onStep = uprobe(TARGET, "step", (i: u32, scaled: u64) => {
  targets.set(pid(), 1);
  steps.output({ i, scaled, name: comm() });
  userStackId = stacks.userStackId();
  inGroup.add(groups.currentTaskUnder(0) ? 1 : 0, 1);
});

export const onGetppid = tracepoint("syscalls", "sys_enter_getppid", () => {
  if (targets.get(pid()) !== undefined) kernelStackId = stacks.kernelStackId();
});
