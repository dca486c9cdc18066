// C twin of examples/opens.ts: which files are opened, by whom (syscalls:sys_enter_openat).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* /sys/kernel/tracing/events/syscalls/sys_enter_openat/format */
struct sys_enter_openat_ctx {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
	int __syscall_nr;
	__u64 dfd;
	const char *filename;
	__u64 flags;
	__u64 mode;
};

struct open_event {
	__u32 pid;
	__s32 flags;
	char comm[16];
	char filename[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int onOpenat(struct sys_enter_openat_ctx *ctx)
{
	struct open_event e = {};
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.flags = (__s32)ctx->flags;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(&e.filename, sizeof(e.filename), ctx->filename);
	bpf_ringbuf_output(&opens, &e, sizeof(e), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
