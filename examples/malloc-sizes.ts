// Records every malloc() size asked for by each process, through a ring buffer:
// a uprobe on libc, its argument fetched by the handler's parameter list. Distribution
// libcs ship without DWARF, so the argument is named by position (arg0); with debug
// information, `(size: u64)` would do.
import { uprobe, RingBuf, pid, comm, type u32, type u64, type Chars } from "bpftsc";

interface Alloc {
  pid: u32;
  size: u64;
  comm: Chars<16>;
}

// Every process mallocs: room for 32768 records, so a busy machine loses none between reads.
const allocs = new RingBuf<Alloc>(1 << 20);

export const onMalloc = uprobe("/lib/x86_64-linux-gnu/libc.so.6", "malloc", (arg0: u64) => {
  if (arg0 >= 4096) {
    allocs.output({ pid: pid(), size: arg0, comm: comm() });
  }
});
