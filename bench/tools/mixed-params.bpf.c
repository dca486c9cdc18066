// C twin of bench/tools/mixed-params.ts: eight arguments of mixed widths, two on the stack.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct args {
	__s8 a;
	__u16 b;
	__s32 c;
	__u64 d;
	__s16 e;
	__u8 f;
	__s64 g;
	__u32 h;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct args);
} last SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

SEC("uprobe/@WORKLOAD@:mixed")
int onMixed(struct pt_regs *ctx)
{
	struct args x = {};
	x.a = (__s8)PT_REGS_PARM1(ctx);
	x.b = (__u16)PT_REGS_PARM2(ctx);
	x.c = (__s32)PT_REGS_PARM3(ctx);
	x.d = PT_REGS_PARM4(ctx);
	x.e = (__s16)PT_REGS_PARM5(ctx);
	x.f = (__u8)ctx->r9;
	/* The 7th and 8th arguments are on the stack, above the return address. */
	bpf_probe_read_user(&x.g, sizeof(x.g), (void *)(PT_REGS_SP(ctx) + 8));
	bpf_probe_read_user(&x.h, sizeof(x.h), (void *)(PT_REGS_SP(ctx) + 16));
	__u32 zero = 0;
	bpf_map_update_elem(&last, &zero, &x, BPF_ANY);
	__u64 *t = bpf_map_lookup_elem(&total, &zero);
	if (t)
		__sync_fetch_and_add(t, x.a + x.b + x.c + x.d + x.e + x.f + x.g + x.h);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
