// expect: BPF4011 7:3
import { kprobe, type u32 } from "bpftsc";

interface Filter { pid: u32; uid: u32 }
export const filter: Filter = { pid: 0, uid: 0 };
export const p = kprobe("vfs_read", () => {
  filter.pid = 1;
});
