// C twin of examples/funclatency.ts: iovisor/bcc libbpf-tools/funclatency.bpf.c with the
// uprobe and uretprobe on libc's usleep (the port's fixed probe points).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_PIDS 102400
#define MAX_SLOTS 25
enum units { NSEC, USEC, MSEC };

const volatile pid_t targ_tgid = 0;
const volatile int units = 0;
const volatile bool filter_cg = false;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PIDS);
	__type(key, u32);
	__type(value, u64);
} starts SEC(".maps");

__u32 hist[MAX_SLOTS] = {};

static __always_inline u64 log2(u32 v)
{
	u32 shift, r;
	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline u64 log2l(u64 v)
{
	u32 hi = v >> 32;
	if (hi)
		return log2(hi) + 32;
	else
		return log2(v);
}

static __always_inline void entry(void)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	u32 pid = id;
	u64 nsec;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return;
	if (targ_tgid && targ_tgid != tgid)
		return;
	nsec = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &pid, &nsec, BPF_ANY);
}

static __always_inline void exit(void)
{
	u64 *start;
	u64 nsec = bpf_ktime_get_ns();
	u32 pid = bpf_get_current_pid_tgid();
	u64 slot, delta;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return;
	start = bpf_map_lookup_elem(&starts, &pid);
	if (!start)
		return;
	delta = nsec - *start;
	switch (units) {
	case USEC:
		delta /= 1000;
		break;
	case MSEC:
		delta /= 1000000;
		break;
	}
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&hist[slot], 1);
	bpf_map_delete_elem(&starts, &pid);
}

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:usleep")
int usleep_entry(struct pt_regs *ctx)
{
	entry();
	return 0;
}

SEC("uretprobe//lib/x86_64-linux-gnu/libc.so.6:usleep")
int usleep_exit(struct pt_regs *ctx)
{
	exit();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
