// expect: BPF3012 5:6
// message: Enum 'Color' is not a kernel enum
// errors: 2
import { kprobe, ArrayMap, enumValue, type i64 } from "bpftsc";
enum Color { Red = 1 }
const out = new ArrayMap<i64>(1);
export const p = kprobe("vfs_read", () => {
  out.set(0, enumValue(Color.Red));
});
