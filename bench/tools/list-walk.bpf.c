// C twin of bench/tools/list-walk.ts: sum the first 16 values of a user-space list.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_NODES 16

struct list_node {
	struct list_node *next;
	__u64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

SEC("uprobe/@WORKLOAD@:walk")
int BPF_KPROBE(onWalk, struct list_node *head)
{
	__u64 sum = 0, nodes = 0;
	struct list_node *n = head;
	for (__u32 i = 0; i < MAX_NODES && n; i++) {
		__u64 value = 0;
		bpf_probe_read_user(&value, sizeof(value), &n->value);
		sum += value;
		nodes += 1;
		bpf_probe_read_user(&n, sizeof(n), &n->next);
	}
	__u32 key = 0;
	__u64 *total = bpf_map_lookup_elem(&totals, &key);
	if (total)
		__sync_fetch_and_add(total, sum);
	key = 1;
	total = bpf_map_lookup_elem(&totals, &key);
	if (total)
		__sync_fetch_and_add(total, nodes);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
