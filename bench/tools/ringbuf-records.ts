// Tool twin: one ring-buffer record per event with its context, as execsnoop or
// opensnoop send them: the workload's log_event(level, msg, code), levels 1 and up.
import { uprobe, RingBuf, pid, tid, comm, ktimeNs, readStr, type i32, type u8, type u32, type u64, type Chars, type Ptr } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";

interface LogRecord {
  ts: u64;
  pid: u32;
  tid: u32;
  level: i32;
  code: u32;
  comm: Chars<16>;
  msg: Chars<64>;
}

const events = new RingBuf<LogRecord>(1 << 20);

export const onLog = uprobe(WORKLOAD, "log_event", (level: i32, msg: Ptr<u8>, code: u32) => {
  if (level < 1) return;
  events.output({ ts: ktimeNs(), pid: pid(), tid: tid(), level, code, comm: comm(), msg: readStr(msg) });
});
