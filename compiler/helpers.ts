// BPF helper function ids (enum bpf_func_id in the kernel's uapi/linux/bpf.h) that the
// compiler calls. One table, so a helper's number and name are written once: the key is
// the kernel's name without its `bpf_` prefix.

export const HELPER = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_uid_gid: 15,
  get_current_comm: 16,
  perf_event_output: 25,
  get_stackid: 27,
  get_current_task: 35,
  current_task_under_cgroup: 37,
  get_stack: 67,
  get_current_cgroup_id: 80,
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
} as const;

/** Helpers whose result does not change while a program runs: the current task, its ids
 *  and cgroup, and the CPU (a program runs with migration disabled). A second call may
 *  reuse the first one's result: a concurrent change (another CPU moving the task to
 *  another cgroup) is then as if it had come after the second call. */
export const RUN_INVARIANT_HELPERS: ReadonlySet<number> = new Set([
  HELPER.get_smp_processor_id, HELPER.get_current_pid_tgid, HELPER.get_current_uid_gid,
  HELPER.get_current_task, HELPER.get_current_cgroup_id,
]);

/** Probe reads: they write only the BPF memory they are given, never the probed memory. */
export const PROBE_READ_HELPERS: ReadonlySet<number> = new Set([
  HELPER.probe_read, HELPER.probe_read_user, HELPER.probe_read_kernel, HELPER.probe_read_user_str, HELPER.probe_read_kernel_str,
]);

const NAMES = new Map<number, string>(Object.entries(HELPER).map(([name, id]) => [id, `bpf_${name}`]));

/** The kernel's name of a helper the compiler calls ("bpf_map_lookup_elem" for 1). */
export function helperName(id: number): string | undefined {
  return NAMES.get(id);
}

/** Flags of bpf_map_update_elem. */
export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;
/** bpf_get_stackid / bpf_get_stack flags: the user stack instead of the kernel's. */
export const BPF_F_USER_STACK = 256n;
/** bpf_perf_event_output's flags: the perf buffer of the current CPU. */
export const BPF_F_CURRENT_CPU = 0xffffffffn;

/** Helpers the kernel offers only to programs whose license is GPL-compatible
 *  (gpl_only in their bpf_func_proto). */
export const GPL_ONLY_HELPERS: ReadonlySet<number> = new Set([
  HELPER.probe_read, HELPER.trace_printk, HELPER.probe_read_user, HELPER.probe_read_kernel,
  HELPER.probe_read_user_str, HELPER.probe_read_kernel_str, HELPER.perf_event_output,
  HELPER.get_stackid, HELPER.get_stack,
]);

/** The licenses the kernel counts as GPL-compatible (include/linux/license.h). */
export const GPL_COMPATIBLE_LICENSES: ReadonlySet<string> = new Set([
  "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL",
]);
