// Kernel function parameters bound by name from BTF, kernel structs declared by
// `bpftsc types` and read through CO-RE: names out of order read the right pt_regs slots,
// libbpf relocates field offsets for the kernel it loads on (here: a custom BTF in which
// struct file's f_inode sits elsewhere), and wrong names are errors listing the real ones.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { BtfBlobBuilder } from "../debuginfo/btf-builder.js";
import { runLoader } from "../harness/harness.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";
import { vmlinuxMemberOffsets } from "../object/tools.js";

const PROBE = `import { kprobe, kretprobe, HashMap, type u64, type Ptr } from "bpftsc";
import type { file } from "./kernel.js";

const seen = new HashMap<u64, u64>(1024);

// Out of order: count is vfs_write's third parameter, file its first.
export const onWrite = kprobe("vfs_write", (count: u64, file: Ptr<file>) => {
  seen.set(file.f_inode.i_ino, count);
});

// No annotation: the type comes from BTF (ssize_t, i64).
export const onWriteReturn = kretprobe("vfs_write", (ret) => {
  seen.set(0, ret);
});
`;

describe("kernel parameters by name, kernel types through CO-RE", () => {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, "kernel.d.ts"), kernelTypesToTs(loadKernelBtf(), ["file", "inode"], { depth: 1 }).text);
  const { object, listing } = compileProbe("kernel-names", PROBE);
  const offsets = vmlinuxMemberOffsets("file");

  it("reads each named parameter from its own pt_regs slot", () => {
    const prologue = listing.split("\n").slice(0, 6).join("\n");
    expect(prologue).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 96\)/); // count: dx, the 3rd argument
    expect(prologue).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 112\)/); // file: di, the 1st
    expect(listing).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 80\)/); // ret: ax
  });

  it("the verifier accepts it and libbpf relocates field offsets against the kernel's BTF", () => {
    const r = runLoader(object, { verbose: true });
    expect(r.programs.map((p) => p.name)).toEqual(["onWrite", "onWriteReturn"]);
    expect(r.stderr).toMatch(new RegExp(`<byte_off> \\[\\d+\\] struct file\\.f_inode \\(0:0 @ offset ${offsets.get("f_inode")}\\)`));
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${offsets.get("f_inode")} -> ${offsets.get("f_inode")}`));
  });

  it("the same object relocates to another kernel's layout (btf_custom_path)", () => {
    // A kernel whose struct file has f_inode at byte 48 and struct inode i_ino at byte 16.
    const b = new BtfBlobBuilder();
    const u64 = b.int("unsigned long long", 8);
    const inode = b.struct("inode", 24, [["i_ino", u64, 16 * 8]]);
    const pInode = b.ptr(inode);
    b.struct("file", 56, [["f_inode", pInode, 48 * 8]]);
    const custom = path.join(OUT_DIR, "custom.btf");
    fs.writeFileSync(custom, b.build());
    const r = runLoader(object, { verbose: true, btfCustom: custom });
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${offsets.get("f_inode")} -> 48`));
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${vmlinuxMemberOffsets("inode").get("i_ino")} -> 16`));
  });

  it("an unknown parameter name is an error listing the function's parameters", () => {
    const file = path.join(OUT_DIR, "bad-name.ts");
    const source = PROBE.replace(/count/g, "cnt");
    fs.writeFileSync(file, source);
    const r = compile({ fileName: file, source });
    expect(r.object).toBeUndefined();
    const d = r.diagnostics[0];
    expect(formatDiagnostic(d)).toMatch(/bad-name\.ts\(7,45\): error BPF6001: vfs_write\(\) has no parameter 'cnt'\. Its parameters: file: Ptr<file>, buf: Ptr<u8>, count: u64, pos: Ptr<i64>\./);
  });

  it("a declared type narrower than the variable compiles with a warning", () => {
    const file = path.join(OUT_DIR, "narrow.ts");
    const source = PROBE.replace("(count: u64, file: Ptr<file>)", "(count: u32, file: Ptr<file>)").replace(", type u64,", ", type u32, type u64,");
    fs.writeFileSync(file, source);
    const r = compile({ fileName: file, source });
    expect(r.object).toBeDefined();
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([["warning", 6003, "'count' is u64 in the probed code; declared u32, it keeps the low bytes only."]]);
  });

});

describe("tracepoint fields without tracefs", () => {
  it("come from the BTF record struct trace_event_raw_<event>, at the format's offsets", () => {
    const format = fs.readFileSync("/sys/kernel/tracing/events/sched/sched_process_exec/format", "utf8");
    const pidOffset = Number(/field:pid_t pid;\s*offset:(\d+);/.exec(format)![1]);
    const saved = process.env.BPFTSC_TRACEFS;
    process.env.BPFTSC_TRACEFS = fs.mkdtempSync(path.join(OUT_DIR, "no-tracefs-"));
    try {
      const { object, listing } = compileProbe("tp-btf", `import { tracepoint, ArrayMap, type i32 } from "bpftsc";
const last = new ArrayMap<i32>(1);
export const onExec = tracepoint("sched", "sched_process_exec", (pid: i32) => { last.set(0, pid); });
`);
      expect(listing).toMatch(new RegExp(`= \\*\\(u32 \\*\\)\\(r1 \\+ ${pidOffset}\\)`));
      runLoader(object);
    } finally {
      if (saved === undefined) delete process.env.BPFTSC_TRACEFS;
      else process.env.BPFTSC_TRACEFS = saved;
    }
  });
});

describe("user pointers in kernel functions", () => {
  it("UserPtr<T> reads with the user-memory helper in a kprobe; Ptr<T> with the kernel one", () => {
    const src = (ptr: string) => `import { kprobe, RingBuf, readStr, type u8, type Chars, type ${ptr} } from "bpftsc";
interface Write { data: Chars<32> }
const writes = new RingBuf<Write>(4096);
export const onWrite = kprobe("vfs_write", (buf: ${ptr}<u8>) => {
  writes.output({ data: readStr(buf) });
});
`;
    const user = compileProbe("user-ptr", src("UserPtr"));
    expect(user.listing).toMatch(/call 114 <bpf_probe_read_user_str>\n/);
    expect(user.listing).not.toMatch(/call 115 /);
    runLoader(user.object);
    const kernel = compileProbe("kernel-ptr", src("Ptr"));
    expect(kernel.listing).toMatch(/call 115 <bpf_probe_read_kernel_str>\n/);
  });
});
