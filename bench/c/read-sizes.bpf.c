// C twin of examples/read-sizes.ts: a histogram of read() results in bpftrace's hist()
// buckets (0: negative, 1: zero, k + 2: [2^k, 2^(k+1))).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* /sys/kernel/tracing/events/syscalls/sys_exit_read/format */
struct sys_exit_read_ctx {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	long ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 66);
	__type(key, __u32);
	__type(value, __u64);
} bytes SEC(".maps");

SEC("tracepoint/syscalls/sys_exit_read")
int onRead(struct sys_exit_read_ctx *ctx)
{
	long v = ctx->ret;
	__u32 slot = 0;
	if (v == 0) {
		slot = 1;
	} else if (v > 0) {
		__u64 x = v;
		slot = 2;
		if (x >= 1ULL << 32) { x >>= 32; slot += 32; }
		if (x >= 1 << 16) { x >>= 16; slot += 16; }
		if (x >= 1 << 8) { x >>= 8; slot += 8; }
		if (x >= 1 << 4) { x >>= 4; slot += 4; }
		if (x >= 1 << 2) { x >>= 2; slot += 2; }
		if (x >= 1 << 1) { slot += 1; }
	}
	__u64 *count = bpf_map_lookup_elem(&bytes, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
