// expect: BPF4006 9:31
// message: readStrInto()'s offset 12 and maxLen 8 pass the buffer's end (16)
import { uprobe, readStrInto, type Chars, type Ptr, type u8 } from "bpftsc";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

export const p = uprobe(LIBC, "puts", (s: Ptr<u8>) => {
  const name: Chars<16> = "";
  const n = readStrInto(name, 12, s, 8);
  return n;
});
