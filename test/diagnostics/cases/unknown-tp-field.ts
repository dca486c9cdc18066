// expect: BPF6001 4:62
import { tracepoint, type u64 } from "bpftsc";

export const p = tracepoint("syscalls", "sys_enter_openat", (filenme: u64) => {
  return 0;
});
