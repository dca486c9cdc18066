// C twin of examples/syscall-counts.ts: per-CPU syscall counts by syscall number.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_SYSCALLS 512

/* /sys/kernel/tracing/events/raw_syscalls/sys_enter/format */
struct raw_sys_enter_ctx {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	long id;
	unsigned long args[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int onSyscall(struct raw_sys_enter_ctx *ctx)
{
	long id = ctx->id;
	if (id >= 0 && id < MAX_SYSCALLS) {
		__u32 key = id;
		__u64 *v = bpf_map_lookup_elem(&counts, &key);
		if (v)
			*v += 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
