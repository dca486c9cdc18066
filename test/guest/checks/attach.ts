// kprobe, kretprobe, fentry and fexit programs attached for real: each counts the
// workload's system calls, which it makes with known arguments, and the probes' view of
// those arguments (bound by name from the guest's BTF) and of the return values must be
// exactly what the workload did.

import { expect } from "vitest";
import { decodeInt, getMap, type MapDump } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { charsText, field, workloadRun } from "./workload.js";

/** Added by openat() on 64-bit kernels before do_sys_openat2; its value is the
 *  architecture's (asm/fcntl.h). */
const O_LARGEFILE: Record<string, number> = { x86_64: 0o100000, arm64: 0o400000 };
const AT_FDCWD = -100;

/** Entries of `map` whose key starts with the u32 `pid`, as { rest of the key, value } hex. */
function entriesOf(map: MapDump, pid: number): { key: string; value: string }[] {
  return (map.entries ?? [])
    .filter((e) => decodeInt(e.key, "u32") === BigInt(pid))
    .map((e) => ({ key: e.key.slice(8), value: e.value ?? "" }));
}

const WRITES = `import { kprobe, kretprobe, HashMap, pid, type u32, type u64, type i64 } from "bpftsc";

interface Key { pid: u32; fd: u32 }
interface Writes { calls: u64; bytes: u64 }
const writes = new HashMap<Key, Writes>(256);
const returned = new HashMap<u32, i64>(256);

// By name, out of order: count is ksys_write's third parameter, fd its first.
export const onWrite = kprobe("ksys_write", (count: u64, fd: u32) => {
  const key: Key = { pid: pid(), fd };
  const w = writes.get(key);
  if (w === undefined) writes.set(key, { calls: 1, bytes: count });
  else { w.calls += 1; w.bytes += count; }
});

export const onWriteReturn = kretprobe("ksys_write", (ret) => {
  returned.add(pid(), ret);
});
`;

const OPENS = `import { kprobe, RingBuf, pid, readStr, type u32, type i32, type u64, type u8, type Chars, type Ptr, type UserPtr } from "bpftsc";
import type { open_how } from "./kernel.js";

interface Open { pid: u32; dfd: i32; flags: u64; mode: u64; name: Chars<64> }
const opens = new RingBuf<Open>(1 << 16);

export const onOpen = kprobe("do_sys_openat2", (how: Ptr<open_how>, filename: UserPtr<u8>, dfd: i32) => {
  opens.output({ pid: pid(), dfd, flags: how.flags, mode: how.mode, name: readStr(filename) });
});
`;

const READS = `import { fentry, fexit, HashMap, pid, type u32, type u64, type i64 } from "bpftsc";

interface Reads { calls: u64; asked: u64; got: i64 }
const entered = new HashMap<u32, Reads>(256);
const returned = new HashMap<u32, Reads>(256);

export const onRead = fentry("vfs_read", (count: u64) => {
  const r = entered.get(pid());
  if (r === undefined) entered.set(pid(), { calls: 1, asked: count, got: 0 });
  else { r.calls += 1; r.asked += count; }
});

export const onReadDone = fexit("vfs_read", (count: u64, ret: i64) => {
  const r = returned.get(pid());
  if (r === undefined) returned.set(pid(), { calls: 1, asked: count, got: ret });
  else { r.calls += 1; r.asked += count; r.got += ret; }
});
`;

/** u64 fields of a value, in order. */
function u64s(hex: string): bigint[] {
  return Array.from({ length: hex.length / 16 }, (_, i) => decodeInt(hex, "u64", i * 8));
}

export const attachChecks: GuestCheck[] = [
  {
    title: "kprobe and kretprobe on ksys_write: arguments by name and return values, exactly",
    prepare(ctx) {
      const result = ctx.load("kprobe-write", ctx.compile("kprobe-write", WRITES), { attach: true, command: [ctx.workload, "write", "7", "1234"] });
      return (run) => {
        const r = result(run);
        const w = workloadRun(r);
        const fd = field(w, "fd");
        const byFd = new Map(entriesOf(getMap(r, "writes"), w.pid).map((e) => [decodeInt(e.key, "u32"), u64s(e.value)]));
        // 7 writes of 1234 bytes to /dev/null, then the report to stdout.
        expect(byFd).toEqual(new Map([[BigInt(fd), [7n, 7n * 1234n]], [1n, [1n, BigInt(w.stdout.length)]]]));
        const returned = entriesOf(getMap(r, "returned"), w.pid);
        expect(returned.map((e) => decodeInt(e.value, "i64"))).toEqual([7n * 1234n + BigInt(w.stdout.length)]);
      };
    },
  },
  {
    title: "kprobe on do_sys_openat2: a user string, a kernel struct argument through CO-RE",
    prepare(ctx) {
      const result = ctx.load("kprobe-open", ctx.compile("kprobe-open", OPENS), { attach: true, command: [ctx.workload, "read", "2", "100"] });
      return (run) => {
        const r = result(run);
        const w = workloadRun(r);
        const mine = (getMap(r, "opens").records ?? []).filter((h) => decodeInt(h, "u32") === BigInt(w.pid));
        const opens = mine.map((h) => ({
          dfd: Number(decodeInt(h, "i32", 4)), flags: Number(decodeInt(h, "u64", 8)), mode: Number(decodeInt(h, "u64", 16)), name: charsText(h.slice(48)),
        }));
        const largefile = O_LARGEFILE[ctx.kernel.arch.target]!;
        expect(opens).toEqual([
          { dfd: AT_FDCWD, flags: field(w, "create_flags") | largefile, mode: 0o640, name: "/tmp/gwork.dat" },
          { dfd: AT_FDCWD, flags: field(w, "read_flags") | largefile, mode: 0, name: "/tmp/gwork.dat" },
        ]);
      };
    },
  },
  {
    title: "fentry and fexit on vfs_read: arguments by name, fexit's ret, exactly (without ftrace direct calls: they load, attaching is refused)",
    prepare(ctx) {
      const result = ctx.load("fentry-read", ctx.compile("fentry-read", READS), { attach: true, command: [ctx.workload, "read", "5", "300"] });
      // A BPF trampoline reaches a kernel function through an ftrace direct call, which
      // Linux 6.1 has on x86-64 but not on arm64: there the kernel refuses the attach
      // with ENOTSUPP (524), after the programs loaded (the loader's "attach" stage).
      if (ctx.kernel.config.get("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS") !== "y") {
        return (run) => {
          expect(() => result(run)).toThrow(expect.objectContaining({ stage: "attach", log: expect.stringMatching(/program 'onRead' \(section 'fentry\/vfs_read'\) failed: Unknown error 524/) }));
        };
      }
      return (run) => {
        const r = result(run);
        const w = workloadRun(r);
        expect(r.programs.map((p) => [p.name, p.type, p.attached])).toEqual([["onRead", "tracing", true], ["onReadDone", "tracing", true]]);
        const values = (map: string) => entriesOf(getMap(r, map), w.pid).map((e) => [decodeInt(e.value, "u64", 0), decodeInt(e.value, "u64", 8), decodeInt(e.value, "i64", 16)]);
        expect(values("entered")).toEqual([[5n, 1500n, 0n]]);
        expect(values("returned")).toEqual([[5n, 1500n, 1500n]]);
      };
    },
  },
];
