// Which files are opened, by whom: a tracepoint whose parameters are fields of the
// event's format (flags, filename), the file name read from user memory.
import { tracepoint, RingBuf, pid, comm, readStr, type i32, type u8, type u32, type Chars, type Ptr } from "bpftsc";

interface Open {
  pid: u32;
  flags: i32;
  comm: Chars<16>;
  filename: Chars<128>;
}

export const opens = new RingBuf<Open>(1 << 18);

export const onOpenat = tracepoint("syscalls", "sys_enter_openat", (flags: i32, filename: Ptr<u8>) => {
  opens.output({ pid: pid(), flags, comm: comm(), filename: readStr(filename) });
});
