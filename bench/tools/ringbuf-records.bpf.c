// C twin of bench/tools/ringbuf-records.ts: log_event() calls of level >= 1 as records.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct log_record {
	__u64 ts;
	__u32 pid;
	__u32 tid;
	__s32 level;
	__u32 code;
	char comm[16];
	char msg[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

SEC("uprobe/@WORKLOAD@:log_event")
int BPF_KPROBE(onLog, __s32 level, const char *msg, __u32 code)
{
	if (level < 1)
		return 0;
	struct log_record r = {};
	__u64 id = bpf_get_current_pid_tgid();
	r.ts = bpf_ktime_get_ns();
	r.pid = id >> 32;
	r.tid = (__u32)id;
	r.level = level;
	r.code = code;
	bpf_get_current_comm(&r.comm, sizeof(r.comm));
	bpf_probe_read_user_str(&r.msg, sizeof(r.msg), msg);
	bpf_ringbuf_output(&events, &r, sizeof(r), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
