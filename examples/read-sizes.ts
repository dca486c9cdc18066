// How much each read() returns, as a power-of-two histogram: bpftrace's
// `tracepoint:syscalls:sys_exit_read { @bytes = hist(args.ret); }`. The parameter is the
// event's `ret` field; a Log2Hist counts it in bpftrace's buckets (errors, being
// negative, in the first), and `bpftsc run` draws it as bpftrace does.
import { tracepoint, Log2Hist, type i64 } from "bpftsc";

const bytes = new Log2Hist();

export const onRead = tracepoint("syscalls", "sys_exit_read", (ret: i64) => {
  bytes.observe(ret);
});
