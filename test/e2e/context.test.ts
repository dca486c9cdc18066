// Helpers, ring buffers, return probes and tracepoints at run time: a uprobe on tick(i)
// sends a record per call through a RingBuf (pid, tid, uid, cpu, time, comm), a
// uretprobe reads tick's return value, and tracepoint programs count getpid() calls and
// read openat()'s fields by name from the tracepoint format (filename via readStr).

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeCString, decodeStruct, ensureTracefs, getMap, intEntries, runLoader } from "../harness/harness.js";
import { ARGS_GETPID_CALLS, ARGS_OPENED_FILE, ARGS_TICKS } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

/** A value unique to this run, so the test finds its own printk lines in the trace buffer. */
const marker = process.pid * 1000 + Math.floor(Math.random() * 1000);

function source(target: string): string {
  return `import { uprobe, uretprobe, tracepoint, RingBuf, HashMap, ArrayMap, pid, tid, uid, cpu, ktimeNs, comm, readStr, printk,
  type i32, type i64, type u8, type u32, type u64, type Chars, type Ptr } from "bpftsc";

interface Tick {
  pid: u32;
  tid: u32;
  i: i32;
  uid: u32;
  cpu: u32;
  ts: u64;
  comm: Chars<16>;
}

interface Open {
  pid: u32;
  flags: i32;
  filename: Chars<64>;
}

const ticks = new RingBuf<Tick>(4096);
const opens = new RingBuf<Open>(16384);
const returned = new HashMap<i32, u32>(16);
const getpids = new HashMap<u32, u64>(1024);
const targetPid = new ArrayMap<u32>(1);

export const onTick = uprobe(${JSON.stringify(target)}, "tick", (i: i32) => {
  targetPid.set(0, pid());
  printk("bpftsc-tick %d of %d", i, ${marker});
  ticks.output({ pid: pid(), tid: tid(), i, uid: uid(), cpu: cpu(), ts: ktimeNs(), comm: comm() });
});

export const onTickReturn = uretprobe(${JSON.stringify(target)}, "tick", (ret: i32) => {
  returned.add(ret, 1);
});

export const onGetpid = tracepoint("syscalls", "sys_enter_getpid", () => {
  getpids.add(pid(), 1);
});

export const onOpenat = tracepoint("syscalls", "sys_enter_openat", (flags: i32, filename: Ptr<u8>) => {
  const p = pid();
  const t = targetPid.get(0);
  if (t !== undefined && t === p) {
    opens.output({ pid: p, flags, filename: readStr(filename) });
  }
});
`;
}

describe("helpers, ring buffers, return probes and tracepoints", () => {
  ensureTracefs();
  const target = buildTargetFile("args");
  const { object } = compileProbe("context", source(target));
  const result = runLoader(object, { attach: true, command: [target] });
  const childPid = BigInt(result.command!.pid);

  it("the target ran", () => expect(result.command?.exit_code).toBe(0));

  it("a ring buffer record per tick(i) call, with the task's ids, cpu, time and comm", () => {
    const records = getMap(result, "ticks").records!.map((hex) => ({
      ...decodeStruct(hex, {
        pid: { offset: 0, type: "u32" }, tid: { offset: 4, type: "u32" }, i: { offset: 8, type: "i32" },
        uid: { offset: 12, type: "u32" }, cpu: { offset: 16, type: "u32" }, ts: { offset: 24, type: "u64" },
      }),
      comm: decodeCString(hex, 32, 16),
    }));
    expect(records.map((r) => r.i)).toEqual(ARGS_TICKS);
    for (const r of records) {
      expect(r.pid).toBe(childPid);
      expect(r.tid).toBe(childPid); // single-threaded target
      expect(r.uid).toBe(BigInt(process.getuid!()));
      expect(r.cpu).toBeLessThan(BigInt(result.possible_cpus));
      expect(r.comm).toBe("args");
    }
    const ts = records.map((r) => r.ts);
    expect(ts.every((t, k) => k === 0 || t >= ts[k - 1])).toBe(true);
    expect(ts[0]).toBeGreaterThan(0n);
  });

  it("printk writes to the trace buffer", () => {
    const trace = fs.readFileSync(path.join(ensureTracefs(), "trace"), "utf8");
    for (const i of ARGS_TICKS) expect(trace).toContain(`bpftsc-tick ${i} of ${marker}`);
  });

  it("a uretprobe reads the return value", () => {
    const got = intEntries(getMap(result, "returned"), "u32", "i32");
    expect([...got.keys()].sort((a, b) => Number(a - b))).toEqual(ARGS_TICKS);
    expect([...got.values()].every((n) => n === 1n)).toBe(true);
  });

  it("a tracepoint counts the target's getpid() calls", () => {
    const counts = intEntries(getMap(result, "getpids"), "u64", "u32");
    expect(counts.get(childPid)).toBe(BigInt(ARGS_GETPID_CALLS));
  });

  it("tracepoint fields are fetched by name from the format (openat's filename and flags)", () => {
    const opens = getMap(result, "opens").records!.map((hex) => ({
      ...decodeStruct(hex, { pid: { offset: 0, type: "u32" }, flags: { offset: 4, type: "i32" } }),
      filename: decodeCString(hex, 8, 64),
    }));
    expect(opens.length).toBeGreaterThan(0);
    const own = opens.find((o) => o.filename === ARGS_OPENED_FILE);
    expect(own, JSON.stringify(opens.map((o) => o.filename))).toBeDefined();
    expect(own!.pid).toBe(childPid);
    expect(own!.flags).toBe(0n); // O_RDONLY
  });
});
