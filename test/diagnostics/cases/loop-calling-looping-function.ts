// expect: BPF4014 14:3
// errors: 1
// message: the calls of scramble in it included
import { kprobe, ArrayMap, type u64 } from "bpftsc";
const out = new ArrayMap<u64>(1);
/** @noinline */
function scramble(x: u64): u64 {
  let s = x;
  for (let i = 0; i < 1000; i++) { s = s * 3 + i; s ^= s >> 3; }
  return s;
}
export const p = kprobe("vfs_read", (count: u64) => {
  let t: u64 = 0;
  for (let j = 0; j < 200; j++) t += scramble(count + j);
  out.set(0, t);
});
