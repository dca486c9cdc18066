// C twin of examples/bashreadline.ts: iovisor/bcc libbpf-tools/bashreadline.bpf.c, the
// uretprobe on /bin/bash's readline, the line through a ring buffer (sent, as in the
// port, even when reading it fails).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_LINE_SIZE 80

struct str_t {
	__u32 pid;
	char str[MAX_LINE_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("uretprobe//bin/bash:readline")
int printret(struct pt_regs *ctx)
{
	const void *ret = (const void *)PT_REGS_RC(ctx);
	struct str_t data = {};
	char comm[16];

	if (!ret)
		return 0;
	bpf_get_current_comm(&comm, sizeof(comm));
	if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != 0)
		return 0;
	data.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_user_str(&data.str, sizeof(data.str), ret);
	bpf_ringbuf_output(&events, &data, sizeof(data), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
