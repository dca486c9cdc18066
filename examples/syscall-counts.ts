// Counts system calls per syscall number on every CPU without contention: a per-CPU
// array indexed by the raw_syscalls:sys_enter tracepoint's `id` field.
import { tracepoint, PerCpuArrayMap, type i64, type u64 } from "bpftsc";

const MAX_SYSCALLS = 512;
const counts = new PerCpuArrayMap<u64>(MAX_SYSCALLS);

export const onSyscall = tracepoint("raw_syscalls", "sys_enter", (id: i64) => {
  if (id >= 0 && id < MAX_SYSCALLS) {
    counts.add(id, 1);
  }
});
