// C twin of examples/malloc-sizes.ts: malloc() sizes >= 4096 per process, via a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct alloc {
	__u32 pid;
	__u64 size;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} allocs SEC(".maps");

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:malloc")
int onMalloc(struct pt_regs *ctx)
{
	__u64 size = PT_REGS_PARM1(ctx);
	if (size >= 4096) {
		struct alloc a = {};
		a.pid = bpf_get_current_pid_tgid() >> 32;
		a.size = size;
		bpf_get_current_comm(&a.comm, sizeof(a.comm));
		bpf_ringbuf_output(&allocs, &a, sizeof(a), 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
