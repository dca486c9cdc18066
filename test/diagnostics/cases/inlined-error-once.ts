// expect: BPF3002 6:17
// errors: 1
// message: Floating-point numbers are not supported
import { kprobe, type u64 } from "bpftsc";
function f(x: u64): u64 {
  const y = x * 2.5;
  return y;
}
export const p = kprobe("vfs_read", () => f(1) + f(2));
export const q = kprobe("vfs_write", () => f(3));
