// The bpftsc command as a user runs it (bin/bpftsc.js over the built bundle):
// exit statuses 0/1/2, diagnostics on stderr tsc-style, -S listings, atomic output
// (a failed compile leaves an existing object untouched), and no stack traces.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runLoader } from "../harness/harness.js";
import { bpftscAt, ensureBuilt } from "./run-helper.js";

const BIN = path.join(REPO_ROOT, "bin", "bpftsc.js");
const bpftsc = bpftscAt;

const GOOD = `import { kprobe, HashMap, pid, type u32, type u64 } from "bpftsc";
const calls = new HashMap<u32, u64>(1024);
export const onRead = kprobe("vfs_read", () => {
  calls.add(pid(), 1);
});
`;
const BAD = `import { kprobe } from "bpftsc";
export const onRead = kprobe("vfs_read", () => {
  const x = 2.5;
  return 0;
});
`;

describe("bpftsc command line", () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-cli-"));
    fs.writeFileSync(path.join(dir, "good.ts"), GOOD);
    fs.writeFileSync(path.join(dir, "bad.ts"), BAD);
  });

  it("compiles with -o, exits 0, and the object loads into the kernel", () => {
    const r = bpftsc(["good.ts", "-o", "good.o"], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const loaded = runLoader(path.join(dir, "good.o"));
    expect(loaded.programs.map((p) => [p.name, p.section])).toEqual([["onRead", "kprobe/vfs_read"]]);
  });

  it("--arch picks the probed architecture's registers: vfs_read's count is dx on x86_64, x2 on arm64", () => {
    fs.writeFileSync(path.join(dir, "count.ts"), `import { kprobe, ArrayMap, type u64 } from "bpftsc";
const last = new ArrayMap<u64>(1);
export const onRead = kprobe("vfs_read", (count: u64) => { last.set(0, count); });
`);
    const x86 = bpftsc(["count.ts", "-S", "--arch", "x86_64"], dir);
    expect(x86.status).toBe(0);
    expect(x86.stdout).toContain("= *(u64 *)(r1 + 96)"); // pt_regs.dx
    const arm = bpftsc(["count.ts", "-S", "--arch", "arm64"], dir);
    expect(arm.status).toBe(0);
    expect(arm.stdout).toContain("= *(u64 *)(r1 + 16)"); // pt_regs.regs[2]
    expect(arm.stderr).toMatch(/warning BPF\d+: Kernel BTF .* is not an arm64 kernel's/);
    const bad = bpftsc(["count.ts", "--arch", "sparc"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/sparc.*x86_64.*arm64|sparc.*arm64.*x86_64/);
    expect(bpftsc(["count.ts", "--arch"], dir).status).toBe(2);
  });

  it("--cpu v4 sign-extends an i32 parameter as it loads it, and the object loads into this kernel", () => {
    fs.writeFileSync(path.join(dir, "signed.ts"), `import { kprobe, ArrayMap, type i32, type i64 } from "bpftsc";
const last = new ArrayMap<i64>(1);
export const onRead = kprobe("vfs_read", (arg0: i32, arg2: i64) => { last.set(0, arg2 / arg0); });
`);
    const v3 = bpftsc(["signed.ts", "-S"], dir);
    expect(v3.status).toBe(0);
    expect(v3.stdout).toMatch(/<<= 32\n[^\n]*s>>= 32/);
    const v4 = bpftsc(["signed.ts", "-S", "--cpu", "v4", "-o", "signed.o"], dir);
    expect(v4.stderr).toBe("");
    expect(v4.status).toBe(0);
    expect(v4.stdout).toContain("= *(s32 *)(r1 + 112)"); // pt_regs.di, sign-extended as loaded
    expect(v4.stdout).toMatch(/ s\/= r\d/);
    expect(v4.stdout).not.toContain("s>>=");
    expect(runLoader(path.join(dir, "signed.o")).programs.map((p) => p.name)).toEqual(["onRead"]);
    const bad = bpftsc(["signed.ts", "--cpu", "v5"], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--cpu takes v3 or v4, not 'v5'");
  });

  it("writes <input>.o beside the input without -o", () => {
    expect(bpftsc(["good.ts"], dir).status).toBe(0);
    expect(fs.existsSync(path.join(dir, "good.o"))).toBe(true);
  });

  it("-S prints the listing with TypeScript source lines", () => {
    const r = bpftsc(["good.ts", "-S"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("kprobe/vfs_read:");
    expect(r.stdout).toContain(";   calls.add(pid(), 1);");
    expect(r.stdout).toMatch(/call 14 <bpf_get_current_pid_tgid>\n/);
    expect(r.stdout).toMatch(/r1 = 0 ll <calls>\n/);
    expect(r.stdout).toMatch(/exit\n$/);
  });

  it("-S numbers the subprograms of .text from the section's start, with their addresses, as llvm-objdump -d does", () => {
    fs.writeFileSync(path.join(dir, "subs.ts"), `import { kprobe, HashMap, pid, type u32, type u64 } from "bpftsc";
const calls = new HashMap<u32, u64>(1024);
/** @noinline */
function twice(v: u64): u64 { return v * 2 + 1; }
/** @noinline */
function thrice(v: u64): u64 { return v * 3 + twice(v); }
export const onRead = kprobe("vfs_read", () => {
  calls.set(pid(), twice(pid()) + thrice(pid()));
});
`);
    const r = bpftsc(["subs.ts", "-S", "-o", "subs.o"], dir);
    expect(r.status).toBe(0);
    const d = spawnSync("llvm-objdump-19", ["-d", "--no-print-imm-hex", path.join(dir, "subs.o")], { encoding: "utf8" });
    expect(d.status).toBe(0);
    // Per section: each function's header line, then its instructions without the names
    // bpftsc adds after them.
    const bySection = (text: string, header: RegExp) => {
      const out: Record<string, string[]> = {};
      let cur: string[] | undefined;
      for (const line of text.split("\n")) {
        const h = header.exec(line);
        if (h) cur = out[h[1]!] ??= [];
        else if (cur && (/^[0-9a-f]{16} <\w+>:$/.test(line) || /^\s+\d+:\t/.test(line))) cur.push(line.replace(/\s+<[^>]+>$/, "").trimEnd());
      }
      return out;
    };
    const ours = bySection(r.stdout, /^(\S+):$/), theirs = bySection(d.stdout, /^Disassembly of section (\S+):$/);
    expect(Object.keys(ours).sort()).toEqual([".text", "kprobe/vfs_read"]);
    expect(ours[".text"]!.filter((l) => l.includes(" <")).length).toBe(2);
    expect(ours).toEqual(theirs);
  });

  it("errors: exit 1, tsc-style diagnostic on stderr, no stack trace, existing output untouched", () => {
    const out = path.join(dir, "bad.o");
    fs.writeFileSync(out, "previous object");
    const r = bpftsc(["bad.ts", "-o", "bad.o"], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^bad\.ts\(3,13\): error BPF3002: Floating-point numbers are not supported in BPF code\.\n\n3 {3}const x = 2\.5;\n {14}~\n/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(out, "utf8")).toBe("previous object");
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("bad usage exits 2 with the usage text", () => {
    const none = bpftsc([], dir);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("Usage: bpftsc");
    expect(bpftsc(["good.ts", "--frobnicate"], dir).status).toBe(2);
    expect(bpftsc(["good.ts", "-o"], dir).status).toBe(2);
  });

  it("refuses an output that is the input itself, leaving the probe file as it was", () => {
    for (const o of ["good.ts", "./good.ts", path.join(dir, "good.ts")]) {
      const r = bpftsc(["good.ts", "-o", o], dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^bpftsc: error BPF9001: -o .* would overwrite the probe file itself/);
    }
    expect(fs.readFileSync(path.join(dir, "good.ts"), "utf8")).toBe(GOOD);
  });

  it("refuses an input that is not a .ts file (exit 2) or not a regular file (exit 1, no blocking on a FIFO)", () => {
    fs.writeFileSync(path.join(dir, "probe.js"), GOOD);
    const js = bpftsc(["probe.js"], dir);
    expect(js.status).toBe(2);
    expect(js.stderr).toMatch(/error BPF9001: 'probe\.js' is not a TypeScript file/);
    spawnSync("mkfifo", [path.join(dir, "fifo.ts")]);
    const fifo = bpftsc(["fifo.ts"], dir);
    expect(fifo.status).toBe(1);
    expect(fifo.stderr).toMatch(/^fifo\.ts: error BPF9002: Cannot read 'fifo\.ts': not a regular file/);
  });

  it("a stack that runs out in TypeScript's checker is a located diagnostic at the deepest code", () => {
    // 700 nested parentheses pass the nesting limit but, with a small stack, not the checker.
    fs.writeFileSync(path.join(dir, "deep.ts"), `import { kprobe, ArrayMap, type u64 } from "bpftsc";
const m = new ArrayMap<u64>(1);
export const p = kprobe("vfs_read", (count: u64) => { m.set(0, ${"(".repeat(700)}count${")".repeat(700)}); });
`);
    const r = spawnSync(process.execPath, ["--stack-size=300", BIN, "deep.ts"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^deep\.ts\(3,\d+\): error BPF4013: The code here is nested \d+ levels deep, more than bpftsc can compile/);
  });

  it("a missing input is a diagnostic, exit 1", () => {
    const r = bpftsc(["nope.ts"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nope\.ts: error BPF9002: Cannot read 'nope\.ts': ENOENT/);
  });

  it("types writes kernel struct declarations that a probe compiles against", () => {
    const r = bpftsc(["types", "--depth", "1", "-o", "kernel.d.ts", "file"], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const decls = fs.readFileSync(path.join(dir, "kernel.d.ts"), "utf8");
    expect(decls).toMatch(/@kernel file \*\/\nexport interface file \{/);
    fs.writeFileSync(path.join(dir, "inode.ts"), `import { kprobe, ArrayMap, type u64, type Ptr } from "bpftsc";
import type { file } from "./kernel.js";
const ino = new ArrayMap<u64>(1);
export const onRead = kprobe("vfs_read", (file: Ptr<file>) => { ino.set(0, file.f_inode.i_ino); });
`);
    const c = bpftsc(["inode.ts", "-o", "inode.o"], dir);
    expect(c.stderr).toBe("");
    expect(c.status).toBe(0);
    expect(runLoader(path.join(dir, "inode.o")).programs.map((p) => p.name)).toEqual(["onRead"]);
  });

  it("--version and --help", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
    expect(bpftsc(["--version"], dir).stdout).toBe(`bpftsc ${pkg.version}\n`);
    expect(bpftsc(["--help"], dir).stdout).toContain("--emit-asm");
  });
});
