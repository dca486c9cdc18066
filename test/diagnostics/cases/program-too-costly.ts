// expect: BPF4020 12:18
// errors: 1
// message: (the loop at line 14 about 704000, the loop at line 15 about 704000)
import { kprobe, ArrayMap, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(2);
/** Either loop alone verifies; both, one after the other, do not. */
function mix(s: u64, i: u64): u64 {
  s = s * 3 + i; s ^= s >> 3; s += i * 7;
  return s - (i & 7);
}
// A comment line: the program starts at line 12.
export const p = kprobe("vfs_read", (count: u64) => {
  let a = count, b = count;
  for (let i: u64 = 0; i < 40000; i++) a = mix(a, i);
  for (let i: u64 = 0; i < 40000; i++) b = mix(b, i);
  out.set(0, a);
  out.set(1, b);
});
