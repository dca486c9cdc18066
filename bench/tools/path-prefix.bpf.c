// C twin of bench/tools/path-prefix.ts: count open_path() calls under /tmp/.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("uprobe/@WORKLOAD@:open_path")
int BPF_KPROBE(onOpenPath, const char *path)
{
	char head[5] = {};
	bpf_probe_read_user(head, sizeof(head), path);
	__u32 key = head[0] == '/' && head[1] == 't' && head[2] == 'm' && head[3] == 'p' && head[4] == '/';
	__u64 *count = bpf_map_lookup_elem(&counts, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
