// expect: BPF3008 4:23
import { kprobe, ArrayMap, type u8, type Bits, type Ptr } from "bpftsc";

interface S { p: Bits<Ptr<u8>, 3> }
const m = new ArrayMap<S>(1);

export const p = kprobe("vfs_read", () => {
  m.set(0, { p: 0 } as S);
});
