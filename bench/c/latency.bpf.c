// C twin of examples/latency.ts: log2 histogram of vfs_read() latency.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} histogram SEC(".maps");

/* floor(log2(v)) for v > 0, by binary search over the bit width. */
static __always_inline __u32 log2_u64(__u64 v)
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

SEC("kprobe/vfs_read")
int enter(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("kretprobe/vfs_read")
int leave(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *began = bpf_map_lookup_elem(&start, &tid);
	if (!began)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - *began;
	bpf_map_delete_elem(&start, &tid);
	__u32 slot = log2_u64(delta);
	__u64 *cnt = bpf_map_lookup_elem(&histogram, &slot);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
