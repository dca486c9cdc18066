// expect: BPF3013 8:45
// message: 'bpftsc_no_such_enum.B' has no value here
import { kprobe, ArrayMap, enumExists, type i64 } from "bpftsc";
/** @kernel */
declare enum bpftsc_no_such_enum { A = 1, B }
const out = new ArrayMap<i64>(1);
export const p = kprobe("vfs_read", () => {
  out.set(0, enumExists(bpftsc_no_such_enum.B) ? 1 : 0);
});
