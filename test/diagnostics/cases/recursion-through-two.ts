// expect: BPF4007 5:50
import { kprobe, type u64 } from "bpftsc";

function even(n: u64): u64 { return n === 0 ? 1 : odd(n - 1); }
function odd(n: u64): u64 { return n === 0 ? 0 : even(n - 1); }

export const p = kprobe("vfs_read", () => even(4));
