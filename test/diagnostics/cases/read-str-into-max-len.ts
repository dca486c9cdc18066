// expect: BPF4006 9:37
// message: readStrInto()'s maxLen is a constant from 1 to the buffer's size (16)
import { uprobe, readStrInto, type Chars, type Ptr, type u8 } from "bpftsc";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

export const p = uprobe(LIBC, "puts", (s: Ptr<u8>) => {
  const name: Chars<16> = "";
  const n = readStrInto(name, 0, s, 32);
  return n;
});
