// C twin of bench/tools/helpers.ts: who handled each request, where and when.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct who {
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 cpu;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct who);
} handlers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} perCpu SEC(".maps");

__u64 handled = 0;

SEC("uprobe/@WORKLOAD@:handle")
int BPF_KPROBE(onHandle, __u32 id)
{
	struct who w = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	w.pid = pid_tgid >> 32;
	w.tid = (__u32)pid_tgid;
	w.uid = (__u32)uid_gid;
	w.gid = uid_gid >> 32;
	w.cpu = bpf_get_smp_processor_id();
	w.ts = bpf_ktime_get_ns();
	bpf_get_current_comm(&w.comm, sizeof(w.comm));
	__u32 key = id & 1023;
	bpf_map_update_elem(&handlers, &key, &w, BPF_ANY);
	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&perCpu, &zero);
	if (count)
		*count += 1;
	handled += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
