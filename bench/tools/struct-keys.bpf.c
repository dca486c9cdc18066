// C twin of bench/tools/struct-keys.ts: calls and bytes per (pid, fd, op), in place.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct io_key {
	__u32 pid;
	__s32 fd;
	__u8 op;
};

struct io_stats {
	__u64 calls;
	__u64 bytes;
	__u64 largest;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct io_key);
	__type(value, struct io_stats);
} io SEC(".maps");

SEC("uprobe/@WORKLOAD@:account")
int BPF_KPROBE(onAccount, __s32 fd, __u8 op, __u64 bytes)
{
	struct io_key key = {};
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.fd = fd;
	key.op = op;
	struct io_stats *s = bpf_map_lookup_elem(&io, &key);
	if (!s) {
		struct io_stats init = { .calls = 1, .bytes = bytes, .largest = bytes };
		bpf_map_update_elem(&io, &key, &init, BPF_ANY);
		return 0;
	}
	s->calls += 1;
	s->bytes += bytes;
	if (bytes > s->largest)
		s->largest = bytes;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
