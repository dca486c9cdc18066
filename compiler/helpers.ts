// BPF helper function ids (enum bpf_func_id in the kernel's uapi/linux/bpf.h) that the
// compiler calls. One table, so a helper's number is written once.

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
  probe_read_user: 112,
  probe_read_kernel: 113,
  probe_read_user_str: 114,
  probe_read_kernel_str: 115,
  ringbuf_output: 130,
} as const;

/** Flags of bpf_map_update_elem. */
export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
