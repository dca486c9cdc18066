// C twin of bench/tools/hist-log2.ts: log2 latency buckets per device (biolatency-style).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_SLOTS 27

struct hist_key {
	__u32 dev;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hist_key);
	__type(value, __u64);
} hists SEC(".maps");

/* floor(log2(v)) for v > 0, by binary search over the bit width. */
static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;
	if (v >= 1ULL << 32) { v >>= 32; r += 32; }
	if (v >= 1 << 16) { v >>= 16; r += 16; }
	if (v >= 1 << 8) { v >>= 8; r += 8; }
	if (v >= 1 << 4) { v >>= 4; r += 4; }
	if (v >= 1 << 2) { v >>= 2; r += 2; }
	if (v >= 1 << 1) { r += 1; }
	return r;
}

SEC("uprobe/@WORKLOAD@:io_done")
int BPF_KPROBE(onIoDone, __u32 dev, __u64 latency_ns)
{
	struct hist_key key = { .dev = dev };
	__u32 slot = log2l(latency_ns / 1000);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	key.slot = slot;
	__u64 one = 1, *count = bpf_map_lookup_elem(&hists, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&hists, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
