// C twin of examples/execsnoop.ts: iovisor/bcc libbpf-tools/execsnoop.bpf.c reduced to
// what the port does: each argument in a 128-byte slot of its own (60 slots), no
// args_size, a fixed-size record through a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define ARGSIZE 128
#define TOTAL_MAX_ARGS 60
#define INVALID_UID ((uid_t)-1)

const volatile bool filter_cg = false;
const volatile bool ignore_failed = true;
const volatile uid_t targ_uid = INVALID_UID;
const volatile int max_args = 20;

struct event {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	int retval;
	int args_count;
	char comm[16];
	char args[TOTAL_MAX_ARGS][ARGSIZE];
};

static const struct event empty_event = {};

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, pid_t);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct syscall_trace_enter *ctx)
{
	const char **args = (const char **)(ctx->args[1]);
	const char *argp;
	struct event *event;
	struct task_struct *task;
	pid_t pid;
	int i;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	uid_t uid = (u32)bpf_get_current_uid_gid();
	if (targ_uid != INVALID_UID && targ_uid != uid)
		return 0;
	u64 id = bpf_get_current_pid_tgid();
	pid = (pid_t)id;
	if (bpf_map_update_elem(&execs, &pid, &empty_event, BPF_NOEXIST))
		return 0;
	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;
	event->pid = id >> 32;
	event->uid = uid;
	task = (struct task_struct *)bpf_get_current_task();
	event->ppid = (pid_t)BPF_CORE_READ(task, real_parent, tgid);
	bpf_probe_read_user_str(event->args[0], ARGSIZE, (const char *)ctx->args[0]);
	event->args_count = 1;
#pragma unroll
	for (i = 1; i < TOTAL_MAX_ARGS; i++) {
		if (i >= max_args) {
			event->args_count++;
			return 0;
		}
		argp = 0;
		bpf_probe_read_user(&argp, sizeof(argp), &args[i]);
		if (!argp)
			return 0;
		bpf_probe_read_user_str(event->args[i], ARGSIZE, argp);
		event->args_count++;
	}
	event->args_count++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct syscall_trace_exit *ctx)
{
	struct event *event;
	pid_t pid;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	u32 uid = (u32)bpf_get_current_uid_gid();
	if (targ_uid != INVALID_UID && targ_uid != uid)
		return 0;
	pid = (pid_t)bpf_get_current_pid_tgid();
	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;
	if (ignore_failed && ctx->ret < 0)
		goto cleanup;
	event->retval = ctx->ret;
	bpf_get_current_comm(&event->comm, sizeof(event->comm));
	bpf_ringbuf_output(&events, event, sizeof(*event), 0);
cleanup:
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
