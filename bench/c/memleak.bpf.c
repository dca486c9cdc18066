// C twin of examples/memleak.ts: the user-space half of iovisor/bcc
// libbpf-tools/memleak.bpf.c, each program's section naming libc's allocator as the
// port's probe points do, stacks as user stacks (the original's user-mode stack_flags).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define ALLOCS_MAX_ENTRIES 1000000
#define COMBINED_ALLOCS_MAX_ENTRIES 10240
#define MAP_FAILED ((u64)-1)
#define EEXIST 17
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

const volatile size_t min_size = 0;
const volatile size_t max_size = -1;
const volatile size_t page_size = 4096;
const volatile __u64 sample_rate = 1;
const volatile bool trace_all = false;
const volatile bool wa_missing_free = false;
const volatile bool combined_only = false;

struct alloc_info {
	__u64 size;
	__u64 timestamp_ns;
	int stack_id;
};

union combined_alloc_info {
	struct {
		__u64 total_size : 40;
		__u64 number_of_allocs : 24;
	};
	__u64 bits;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 10240);
} sizes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, struct alloc_info);
	__uint(max_entries, ALLOCS_MAX_ENTRIES);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, union combined_alloc_info);
	__uint(max_entries, COMBINED_ALLOCS_MAX_ENTRIES);
} combined_allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 10240);
} memptrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__type(key, u32);
	__uint(value_size, 127 * sizeof(u64));
	__uint(max_entries, 10240);
} stack_traces SEC(".maps");

static union combined_alloc_info initial_cinfo;

static __always_inline void *bpf_map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	int err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void update_statistics_add(u64 stack_id, u64 sz)
{
	union combined_alloc_info *existing_cinfo;

	existing_cinfo = bpf_map_lookup_or_try_init(&combined_allocs, &stack_id, &initial_cinfo);
	if (!existing_cinfo)
		return;
	const union combined_alloc_info incremental_cinfo = { .total_size = sz, .number_of_allocs = 1 };
	__sync_fetch_and_add(&existing_cinfo->bits, incremental_cinfo.bits);
}

static __always_inline void update_statistics_del(u64 stack_id, u64 sz)
{
	union combined_alloc_info *existing_cinfo;

	existing_cinfo = bpf_map_lookup_elem(&combined_allocs, &stack_id);
	if (!existing_cinfo) {
		bpf_printk("failed to lookup combined allocs\n");
		return;
	}
	const union combined_alloc_info decremental_cinfo = { .total_size = sz, .number_of_allocs = 1 };
	__sync_fetch_and_sub(&existing_cinfo->bits, decremental_cinfo.bits);
}

static __always_inline int gen_alloc_enter(size_t size)
{
	if (size < min_size || size > max_size)
		return 0;
	if (sample_rate > 1) {
		if (bpf_ktime_get_ns() % sample_rate != 0)
			return 0;
	}
	const u32 tid = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&sizes, &tid, &size, BPF_ANY);
	if (trace_all)
		bpf_printk("alloc entered, size = %lu\n", size);
	return 0;
}

static __always_inline int gen_alloc_exit2(void *ctx, u64 address)
{
	const u32 tid = bpf_get_current_pid_tgid();
	struct alloc_info info;

	const u64 *size = bpf_map_lookup_elem(&sizes, &tid);
	if (!size)
		return 0;
	__builtin_memset(&info, 0, sizeof(info));
	info.size = *size;
	bpf_map_delete_elem(&sizes, &tid);
	if (address != 0 && address != MAP_FAILED) {
		info.timestamp_ns = bpf_ktime_get_ns();
		info.stack_id = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
		bpf_map_update_elem(&allocs, &address, &info, BPF_ANY);
		if (combined_only)
			update_statistics_add(info.stack_id, info.size);
	}
	if (trace_all)
		bpf_printk("alloc exited, size = %lu, result = %lx\n", info.size, address);
	return 0;
}

static __always_inline int gen_alloc_exit(struct pt_regs *ctx)
{
	return gen_alloc_exit2(ctx, PT_REGS_RC(ctx));
}

static __always_inline int gen_free_enter(const void *address)
{
	const u64 addr = (u64)address;

	const struct alloc_info *info = bpf_map_lookup_elem(&allocs, &addr);
	if (!info)
		return 0;
	bpf_map_delete_elem(&allocs, &addr);
	if (combined_only)
		update_statistics_del(info->stack_id, info->size);
	if (trace_all)
		bpf_printk("free entered, address = %lx, size = %lu\n", address, info->size);
	return 0;
}

SEC("uprobe/" LIBC ":malloc")
int BPF_KPROBE(malloc_enter, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":malloc")
int malloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":free")
int BPF_KPROBE(free_enter, void *address) { return gen_free_enter(address); }
SEC("uprobe/" LIBC ":calloc")
int BPF_KPROBE(calloc_enter, size_t nmemb, size_t size) { return gen_alloc_enter(nmemb * size); }
SEC("uretprobe/" LIBC ":calloc")
int calloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":realloc")
int BPF_KPROBE(realloc_enter, void *ptr, size_t size)
{
	gen_free_enter(ptr);
	return gen_alloc_enter(size);
}
SEC("uretprobe/" LIBC ":realloc")
int realloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":mmap")
int BPF_KPROBE(mmap_enter, void *address, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":mmap")
int mmap_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":munmap")
int BPF_KPROBE(munmap_enter, void *address) { return gen_free_enter(address); }
SEC("uprobe/" LIBC ":mremap")
int BPF_KPROBE(mremap_enter, void *old_address, size_t old_size, size_t new_size, int flags)
{
	gen_free_enter(old_address);
	return gen_alloc_enter(new_size);
}
SEC("uretprobe/" LIBC ":mremap")
int mremap_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":posix_memalign")
int BPF_KPROBE(posix_memalign_enter, void **memptr, size_t alignment, size_t size)
{
	const u64 memptr64 = (u64)(size_t)memptr;
	const u32 tid = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&memptrs, &tid, &memptr64, BPF_ANY);
	return gen_alloc_enter(size);
}
SEC("uretprobe/" LIBC ":posix_memalign")
int posix_memalign_exit(struct pt_regs *ctx)
{
	u64 *memptr64;
	void *addr = 0;
	const u32 tid = bpf_get_current_pid_tgid();

	memptr64 = bpf_map_lookup_elem(&memptrs, &tid);
	if (!memptr64)
		return 0;
	u64 memptr = *memptr64;
	bpf_map_delete_elem(&memptrs, &tid);
	bpf_probe_read_user(&addr, sizeof(void *), (void *)(size_t)memptr);
	return gen_alloc_exit2(ctx, (u64)(size_t)addr);
}
SEC("uprobe/" LIBC ":aligned_alloc")
int BPF_KPROBE(aligned_alloc_enter, size_t alignment, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":aligned_alloc")
int aligned_alloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":valloc")
int BPF_KPROBE(valloc_enter, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":valloc")
int valloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":memalign")
int BPF_KPROBE(memalign_enter, size_t alignment, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":memalign")
int memalign_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }
SEC("uprobe/" LIBC ":pvalloc")
int BPF_KPROBE(pvalloc_enter, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe/" LIBC ":pvalloc")
int pvalloc_exit(struct pt_regs *ctx) { return gen_alloc_exit(ctx); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
