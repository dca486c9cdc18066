// comm() in map keys and records must be fully defined on every kernel: Linux 6.1's
// bpf_get_current_comm copies the name up to its NUL and leaves the rest of the buffer as
// it was (the BPF stack's old bytes), so a key holding comm() would differ from call to
// call of the same command unless the compiler zeroes the buffer first.

import { expect } from "vitest";
import { decodeInt, getMap, type MapEntry } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { charsText, workloadRun } from "./workload.js";

const CALLS = 50;

/** The probe, on the getpid syscall's wrapper (`__x64_sys_getpid` on x86-64). */
const probe = (getpid: string) => `import { kprobe, HashMap, RingBuf, comm, pid, type u32, type u64, type Chars } from "bpftsc";

interface Key { comm: Chars<16> }
interface Call { pid: u32; comm: Chars<16> }
const byLiteral = new HashMap<Key, u64>(1024);
const byLocal = new HashMap<Key, u64>(1024);
const calls = new RingBuf<Call>(1 << 16);

export const keyFromLiteral = kprobe("${getpid}", () => {
  byLiteral.add({ comm: comm() }, 1);
});

export const keyFromLocal = kprobe("${getpid}", () => {
  const c: Chars<16> = comm();
  byLocal.add({ comm: c }, 1);
});

export const record = kprobe("${getpid}", () => {
  calls.output({ pid: pid(), comm: comm() });
});
`;

/** "gwork" padded with zeros to 16 bytes, as hex. */
const GWORK = Buffer.concat([Buffer.from("gwork"), Buffer.alloc(11)]).toString("hex");

function workloadKeys(entries: MapEntry[]): { key: string; count: bigint }[] {
  return entries.filter((e) => charsText(e.key) === "gwork").map((e) => ({ key: e.key, count: decodeInt(e.value!, "u64") }));
}

export const commChecks: GuestCheck[] = [
  {
    title: "comm() in a map key and a record is zero after its NUL: one key per command",
    prepare(ctx) {
      const result = ctx.load("comm", ctx.compile("comm", probe(`${ctx.target.syscalls.prefix}getpid`)), { attach: true, command: [ctx.workload, "getpid", String(CALLS)] });
      return (run) => {
        const r = result(run);
        const w = workloadRun(r);
        for (const map of ["byLiteral", "byLocal"]) {
          expect(workloadKeys(getMap(r, map).entries ?? []), map).toEqual([{ key: GWORK, count: BigInt(CALLS) }]);
        }
        const mine = (getMap(r, "calls").records ?? []).filter((h) => decodeInt(h, "u32") === BigInt(w.pid));
        expect(mine).toEqual(Array(CALLS).fill(mine[0]));
        expect(mine[0]?.slice(8, 40)).toBe(GWORK);
      };
    },
  },
];
