// expect: BPF4006 8:24
// message: enumValue() takes an enumerator of a kernel enum
import { kprobe, ArrayMap, enumValue, pid, type i64 } from "bpftsc";
/** @kernel */
declare enum node_stat_item { NR_SHMEM = 22 }
const out = new ArrayMap<i64>(1);
export const p = kprobe("vfs_read", () => {
  out.set(0, enumValue(pid()));
});
