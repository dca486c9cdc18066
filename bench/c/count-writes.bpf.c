// C twin of examples/count-writes.ts: write() calls and bytes per process.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct stats {
	__u64 calls;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct stats);
} perPid SEC(".maps");

SEC("kprobe/ksys_write")
int onWrite(struct pt_regs *ctx)
{
	__u64 count = PT_REGS_PARM3(ctx);
	__u32 key = bpf_get_current_pid_tgid() >> 32;
	struct stats *s = bpf_map_lookup_elem(&perPid, &key);
	if (!s) {
		struct stats init = { .calls = 1, .bytes = count };
		bpf_map_update_elem(&perPid, &key, &init, BPF_ANY);
	} else {
		s->calls += 1;
		s->bytes += count;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
