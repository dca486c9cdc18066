// Tool twin: bytes and calls per (process, file descriptor, operation), updated in place
// in the map: a struct key and a struct value. The workload's account(fd, op, bytes).
import { uprobe, HashMap, pid, type i32, type u8, type u32, type u64 } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";

interface IoKey {
  pid: u32;
  fd: i32;
  op: u8;
}

interface IoStats {
  calls: u64;
  bytes: u64;
  largest: u64;
}

const io = new HashMap<IoKey, IoStats>(10240);

export const onAccount = uprobe(WORKLOAD, "account", (fd: i32, op: u8, bytes: u64) => {
  const key: IoKey = { pid: pid(), fd, op };
  const s = io.get(key);
  if (s === undefined) {
    io.set(key, { calls: 1, bytes, largest: bytes });
    return;
  }
  s.calls += 1;
  s.bytes += bytes;
  if (bytes > s.largest) s.largest = bytes;
});
