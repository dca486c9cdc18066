// Probes on user code and syscall tracepoints in the guest, whatever its architecture: a
// uprobe on the workload's probed() whose ten arguments are bound by name from the
// binary's DWARF, at -O0 (where the entry locations are the calling convention's: the
// target's argument registers, a 24-byte struct by reference or on the stack, the stack
// slots after the registers) and at -O1 (where DWARF's location lists name the registers
// by DWARF number, and the stack through the CFA); and a tracepoint on sys_enter_openat
// reading the workload's opens. The values are exact: do_call() in workload.c makes them.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { decodeInt, getMap } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { charsText, field, workloadRun } from "./workload.js";

const WORKLOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "workload.c");
const CALLS = 5;
const FIELDS = ["c", "s", "i", "l", "bx", "u", "a7", "s8", "s9"] as const;

const uprobe = (binary: string) => `import { uprobe, RingBuf, type i8, type i16, type i32, type i64, type u32 } from "bpftsc";

interface Call { c: i64; s: i64; i: i64; l: i64; bx: i64; u: i64; a7: i64; s8: i64; s9: i64 }
const calls = new RingBuf<Call>(1 << 16);

// By name, a subset (a6 is left out), the struct b read as its first 8 bytes (b.x).
export const onProbed = uprobe(${JSON.stringify(binary)}, "probed", (s9: i64, c: i8, s: i16, i: i32, l: i64, b: i64, u: u32, a7: i64, s8: i32) => {
  calls.output({ c, s, i, l, bx: b, u, a7, s8, s9 });
});
`;

/** do_call()'s arguments in its k-th call, as the probe records them. */
function expectedCall(k: number): Record<(typeof FIELDS)[number], bigint> {
  const n = BigInt(k);
  return { c: -5n - n, s: -1000n - n, i: -100000n + n, l: -10000000000n - n, bx: 0x1111111111n + n, u: 4000000000n + n, a7: 7n + n, s8: -8n - n, s9: 0x123456789n + n };
}

const OPENAT = `import { tracepoint, RingBuf, pid, readStr, type u32, type i32, type u64, type u8, type Chars, type UserPtr } from "bpftsc";

interface Open { pid: u32; dfd: i32; flags: u64; mode: u64; name: Chars<64> }
const opens = new RingBuf<Open>(1 << 16);

export const onOpenat = tracepoint("syscalls", "sys_enter_openat", (mode: u64, filename: UserPtr<u8>, dfd: i32, flags: u64) => {
  opens.output({ pid: pid(), dfd, flags, mode, name: readStr(filename) });
});
`;

const AT_FDCWD = -100;

export const userChecks: GuestCheck[] = ["-O0", "-O1"].map((opt): GuestCheck => ({
  title: `uprobe on probed() (gcc ${opt} -g): ten arguments by name from DWARF, registers and stack, exactly`,
  prepare(ctx) {
    const binary = ctx.build(`gwork${opt}`, fs.readFileSync(WORKLOAD, "utf8"), [opt, "-g", "-static"]);
    const result = ctx.load(`uprobe${opt}`, ctx.compile(`uprobe${opt}`, uprobe(binary)), { attach: true, command: [binary, "call", String(CALLS)] });
    return (run) => {
      const r = result(run);
      expect(field(workloadRun(r), "calls")).toBe(CALLS);
      const records = (getMap(r, "calls").records ?? []).map((h) => Object.fromEntries(FIELDS.map((f, i) => [f, decodeInt(h, "i64", 8 * i)])));
      expect(records).toEqual(Array.from({ length: CALLS }, (_, k) => expectedCall(k)));
    };
  },
})).concat({
  title: "tracepoint syscalls/sys_enter_openat: the workload's opens, fields by name",
  prepare(ctx) {
    const result = ctx.load("tracepoint-openat", ctx.compile("tracepoint-openat", OPENAT), { attach: true, command: [ctx.workload, "read", "2", "100"] });
    return (run) => {
      const r = result(run);
      const w = workloadRun(r);
      const opens = (getMap(r, "opens").records ?? []).filter((h) => decodeInt(h, "u32") === BigInt(w.pid)).map((h) => ({
        dfd: Number(decodeInt(h, "i32", 4)), flags: Number(decodeInt(h, "u64", 8)), mode: Number(decodeInt(h, "u64", 16)), name: charsText(h.slice(48)),
      }));
      // The flags as the program passed them: O_LARGEFILE is added inside the kernel.
      expect(opens).toEqual([
        { dfd: AT_FDCWD, flags: field(w, "create_flags"), mode: 0o640, name: "/tmp/gwork.dat" },
        { dfd: AT_FDCWD, flags: field(w, "read_flags"), mode: 0, name: "/tmp/gwork.dat" },
      ]);
    };
  },
});
