// memleak: outstanding allocations of libc's allocator: every allocation not yet freed,
// with its size, time and user stack, and (combined_only) totals per stack.
//
// A port of the user-space half of iovisor/bcc libbpf-tools/memleak.bpf.c (and
// memleak.h). Each allocator's entry keeps the size asked for per thread in `sizes`; its
// return records the address returned in `allocs` with the size, the time and the stack
// id of the allocation in `stack_traces`; free(), munmap() and the old block of
// realloc()/mremap() remove the address again. What stays in `allocs` has leaked (so far).
//
//   bpftsc run examples/memleak.ts -c "python3 -c 'x = [0] * 100000'"
//   bpftsc run examples/memleak.ts --set min_size=1024 --set combined_only=true -d 10
//
// Settings (memleak's options): min_size (-z), max_size (-Z), page_size, sample_rate
// (-s), trace_all (-T: bpf_printk lines in /sys/kernel/tracing/trace_pipe),
// wa_missing_free, combined_only (--combined-only).
//
// Differences from the original, and why:
// - The programs attach to every process's libc (uprobe("/lib/x86_64-linux-gnu/libc.so.6",
//   ...)); the original's user space attaches them to the libc of one process (-p PID, or
//   the -c command it starts). bpftsc's probe points are constants of the source and
//   `bpftsc run` attaches every program to all processes, so use min_size/max_size, or the
//   stack ids, to pick a process's allocations.
// - Only user-space allocators are ported. The kernel mode (tracepoints kmem/kmalloc,
//   kmalloc_node, kfree, kmem_cache_alloc, kmem_cache_alloc_node, kmem_cache_free,
//   mm_page_alloc, mm_page_free, percpu/percpu_alloc_percpu, percpu_free_percpu) lives in
//   the same object in the original, whose user space loads one half or the other
//   (bpf_program__set_autoload); bpftsc loads and attaches every exported program, so
//   both halves together would record every kernel allocation in the same maps while
//   tracing a process (see docs/tool-gaps.md). wa_missing_free is kept as a setting (it
//   only matters to the kernel half) so the settings match.
// - Stacks are user stacks (userStackId(), BPF_F_USER_STACK), which is what the
//   original's user space sets stack_flags to in user mode; stack_flags is not a setting.
// - free(NULL) and the like look up address 0, which is never in `allocs`, as in the
//   original.
import {
  uprobe, uretprobe, HashMap, StackTraceMap, tid, ktimeNs, atomicAdd, printk, toUserPtr,
  type bool, type i32, type u32, type u64, type Bits, type Union,
} from "bpftsc";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";
const ALLOCS_MAX_ENTRIES = 1000000;
const COMBINED_ALLOCS_MAX_ENTRIES = 10240;
const MAP_FAILED = 0xffffffffffffffff;

export const min_size: u64 = 0;
export const max_size: u64 = 0xffffffffffffffff;
export const page_size: u64 = 4096;
export const sample_rate: u64 = 1;
export const trace_all: bool = false;
export const wa_missing_free: bool = false;
export const combined_only: bool = false;

/** struct alloc_info */
interface AllocInfo {
  size: u64;
  timestamp_ns: u64;
  stack_id: i32;
}

/** union combined_alloc_info: the two counts in one u64, added to atomically. */
type CombinedAllocInfo = Union<{
  counts: { total_size: Bits<u64, 40>; number_of_allocs: Bits<u64, 24> };
  bits: u64;
}>;

/** A pointer-sized slot of user memory (posix_memalign's *memptr). */
interface PtrSlot {
  p: u64;
}

let initial_cinfo!: CombinedAllocInfo;

const sizes = new HashMap<u32, u64>(10240);
/** address -> the allocation */
const allocs = new HashMap<u64, AllocInfo>(ALLOCS_MAX_ENTRIES);
/** stack id -> totals of its outstanding allocations */
const combined_allocs = new HashMap<u64, CombinedAllocInfo>(COMBINED_ALLOCS_MAX_ENTRIES);
const memptrs = new HashMap<u32, u64>(10240);
const stack_traces = new StackTraceMap(10240);

function update_statistics_add(stack_id: u64, sz: u64): void {
  const existing_cinfo = combined_allocs.getOrInit(stack_id, initial_cinfo);
  if (existing_cinfo === undefined) return;
  const incremental_cinfo = { counts: { total_size: sz, number_of_allocs: 1 } } as CombinedAllocInfo;
  atomicAdd(existing_cinfo.bits, incremental_cinfo.bits);
}

function update_statistics_del(stack_id: u64, sz: u64): void {
  const existing_cinfo = combined_allocs.get(stack_id);
  if (existing_cinfo === undefined) {
    printk("failed to lookup combined allocs\n");
    return;
  }
  const decremental_cinfo = { counts: { total_size: sz, number_of_allocs: 1 } } as CombinedAllocInfo;
  atomicAdd(existing_cinfo.bits, -decremental_cinfo.bits); // __sync_fetch_and_sub
}

/** @inline (one subprogram in .text: see docs/tool-gaps.md on -S listings) */
function gen_alloc_enter(size: u64): void {
  if (size < min_size || size > max_size) return;
  if (sample_rate > 1) {
    if (ktimeNs() % sample_rate !== 0) return;
  }
  sizes.set(tid(), size);
  if (trace_all) printk("alloc entered, size = %lu\n", size);
}

/** @inline: the stack id needs the program's context. */
function gen_alloc_exit2(address: u64): void {
  const t = tid();
  const size = sizes.get(t);
  if (size === undefined) return; // missed alloc entry
  const info: AllocInfo = { size, timestamp_ns: 0, stack_id: 0 };
  sizes.delete(t);
  if (address !== 0 && address !== MAP_FAILED) {
    info.timestamp_ns = ktimeNs();
    info.stack_id = stack_traces.userStackId();
    allocs.set(address, info);
    if (combined_only) update_statistics_add(info.stack_id, info.size);
  }
  if (trace_all) printk("alloc exited, size = %lu, result = %lx\n", info.size, address);
}

function gen_free_enter(address: u64): void {
  const info = allocs.get(address);
  if (info === undefined) return;
  const stack_id = info.stack_id;
  const size = info.size;
  allocs.delete(address);
  if (combined_only) update_statistics_del(stack_id, size);
  if (trace_all) printk("free entered, address = %lx, size = %lu\n", address, size);
}

export const malloc_enter = uprobe(LIBC, "malloc", (arg0: u64) => {
  gen_alloc_enter(arg0);
});
export const malloc_exit = uretprobe(LIBC, "malloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const free_enter = uprobe(LIBC, "free", (arg0: u64) => {
  gen_free_enter(arg0);
});
export const calloc_enter = uprobe(LIBC, "calloc", (arg0: u64, arg1: u64) => {
  gen_alloc_enter(arg0 * arg1);
});
export const calloc_exit = uretprobe(LIBC, "calloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const realloc_enter = uprobe(LIBC, "realloc", (arg0: u64, arg1: u64) => {
  gen_free_enter(arg0);
  gen_alloc_enter(arg1);
});
export const realloc_exit = uretprobe(LIBC, "realloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const mmap_enter = uprobe(LIBC, "mmap", (arg1: u64) => {
  gen_alloc_enter(arg1);
});
export const mmap_exit = uretprobe(LIBC, "mmap", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const munmap_enter = uprobe(LIBC, "munmap", (arg0: u64) => {
  gen_free_enter(arg0);
});
export const mremap_enter = uprobe(LIBC, "mremap", (arg0: u64, arg2: u64) => {
  gen_free_enter(arg0);
  gen_alloc_enter(arg2);
});
export const mremap_exit = uretprobe(LIBC, "mremap", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const posix_memalign_enter = uprobe(LIBC, "posix_memalign", (arg0: u64, arg2: u64) => {
  memptrs.set(tid(), arg0);
  gen_alloc_enter(arg2);
});
export const posix_memalign_exit = uretprobe(LIBC, "posix_memalign", () => {
  const t = tid();
  const memptr64 = memptrs.get(t);
  if (memptr64 === undefined) return;
  const memptr = memptr64;
  memptrs.delete(t);
  // The original returns when this read faults; here a fault reads 0, which
  // gen_alloc_exit2 does not record either (it only drops the size kept for the thread).
  const addr = toUserPtr<PtrSlot>(memptr).p;
  gen_alloc_exit2(addr);
});
export const aligned_alloc_enter = uprobe(LIBC, "aligned_alloc", (arg1: u64) => {
  gen_alloc_enter(arg1);
});
export const aligned_alloc_exit = uretprobe(LIBC, "aligned_alloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const valloc_enter = uprobe(LIBC, "valloc", (arg0: u64) => {
  gen_alloc_enter(arg0);
});
export const valloc_exit = uretprobe(LIBC, "valloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const memalign_enter = uprobe(LIBC, "memalign", (arg1: u64) => {
  gen_alloc_enter(arg1);
});
export const memalign_exit = uretprobe(LIBC, "memalign", (ret: u64) => {
  gen_alloc_exit2(ret);
});
export const pvalloc_enter = uprobe(LIBC, "pvalloc", (arg0: u64) => {
  gen_alloc_enter(arg0);
});
export const pvalloc_exit = uretprobe(LIBC, "pvalloc", (ret: u64) => {
  gen_alloc_exit2(ret);
});
