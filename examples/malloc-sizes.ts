// Records every malloc() size asked for by each process, through a ring buffer:
// a uprobe on libc, its argument fetched by the handler's parameter list.
import { uprobe, RingBuf, pid, comm, type u32, type u64, type Chars } from "bpftsc";

interface Alloc {
  pid: u32;
  size: u64;
  comm: Chars<16>;
}

const allocs = new RingBuf<Alloc>(1 << 16);

export const onMalloc = uprobe("/lib/x86_64-linux-gnu/libc.so.6", "malloc", (size: u64) => {
  if (size >= 4096) {
    allocs.output({ pid: pid(), size, comm: comm() });
  }
});
