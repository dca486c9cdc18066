// Compiling for arm64 on this (x86-64) machine: kprobes bound by name against Debian's arm64
// kernel's BTF read x0-x7 and the stack at sp from arm64's struct pt_regs, kernel structs
// come from that BTF with CO-RE records that libbpf relocates against it, and the compiler
// says when a probe point or a BTF is of the other architecture.

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { ARM64 } from "../guest/arch.js";
import { prepareKernel } from "../guest/kernels.js";
import { buildTarget, runLoader } from "../harness/harness.js";
import { vmlinuxMemberOffsets } from "../object/tools.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";

const DIR = path.join(OUT_DIR, "arm64");

const PROBE = `import { kprobe, kretprobe, HashMap, type u64, type Ptr } from "bpftsc";
import type { file } from "./kernel.js";

const seen = new HashMap<u64, u64>(1024);

// count is vfs_write's third parameter (x2), file its first (x0).
export const onWrite = kprobe("vfs_write", (count: u64, file: Ptr<file>) => {
  seen.set(file.f_inode.i_ino, count + file.f_flags);
});

export const onWriteReturn = kretprobe("vfs_write", (ret) => {
  seen.set(0, ret);
});
`;

/** Stack-passed arguments, in a probe of its own: its pt_regs reads (sp at 248) are past
 *  the end of x86-64's, so this machine's verifier would refuse it. */
const STACK = `import { kprobe, HashMap, type u64 } from "bpftsc";

const seen = new HashMap<u64, u64>(1024);

// bpf_trace_run10(prog, arg0, ..., arg9): arg6 is the 8th argument (x7); arg7 the 9th,
// past x7 (sp+0); arg9 the 11th (sp+16).
export const onRun10 = kprobe("bpf_trace_run10", (arg9: u64, arg7: u64, arg6: u64) => {
  seen.set(arg6, arg7 + arg9);
});
`;

/** Compiles `source` as DIR/<name>.ts for arm64 (against `btf`, default the host's) and
 *  returns the formatted diagnostics. */
function diagnostics(name: string, source: string, btfPath?: string): string[] {
  const file = path.join(DIR, `${name}.ts`);
  fs.writeFileSync(file, source);
  return compile({ fileName: file, source, btfPath, arch: "arm64" }).diagnostics.map(formatDiagnostic);
}

describe("kprobes compiled for arm64 against its kernel's BTF", () => {
  let btf: string;
  let object: string;
  let listing: string;
  let stackListing: string;
  beforeAll(() => {
    btf = prepareKernel("6.1-arm64").btf;
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, "kernel.d.ts"), kernelTypesToTs(loadKernelBtf(btf), ["file", "inode"], { depth: 1 }).text);
    ({ object, listing } = compileProbe("arm64-names", PROBE, { dir: DIR, btfPath: btf, arch: "arm64" }));
    stackListing = compileProbe("arm64-stack", STACK, { dir: DIR, btfPath: btf, arch: "arm64" }).listing;
  }, 600_000);

  it("reads each named parameter from its x register in arm64's pt_regs (regs[N] at 8*N)", () => {
    const [write, ret] = listing.split("kretprobe/vfs_write:");
    expect(write!.split("\n").slice(0, 6).join("\n")).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 16\)\n.*r\d = \*\(u64 \*\)\(r1 \+ 0\)/); // count: x2, file: x0
    expect(ret).toMatch(/r\d = \*\(u64 \*\)\(r1 \+ 0\)/); // ret: x0
  });

  it("reads the arguments past x7 from the probed stack at sp+0, +8, ... (pt_regs sp at 248)", () => {
    const insns = stackListing.split("\n").map((l) => l.split("\t").at(-1)!.trim());
    const at = insns.flatMap((x, i) => (x === "r3 = *(u64 *)(r6 + 248)" ? [i] : []));
    // arg9 at sp+16, then arg7 at sp+0: the stack pointer's value plus the offset, then a
    // bpf_probe_read_kernel (helper 113); arg6 from x7.
    expect(at.map((i) => insns[i + 1])).toEqual(["r3 += 16", "r1 = r10"]);
    expect(insns.filter((x) => x === "call 113 <bpf_probe_read_kernel>")).toHaveLength(2);
    expect(insns).toContainEqual(expect.stringMatching(/^r\d = \*\(u64 \*\)\(r6 \+ 56\)$/));
  });

  it("describes struct file as the arm64 kernel lays it out, and libbpf relocates it against that BTF", () => {
    const file = vmlinuxMemberOffsets("file", btf);
    const inode = vmlinuxMemberOffsets("inode", btf);
    // The object loads into this machine's verifier: its context reads are within x86-64's pt_regs too.
    const r = runLoader(object, { verbose: true, btfCustom: btf });
    expect(r.programs.map((p) => p.name)).toEqual(["onWrite", "onWriteReturn"]);
    expect(r.stderr).toMatch(new RegExp(`<byte_off> \\[\\d+\\] struct file\\.f_inode \\(0:\\d+ @ offset ${file.get("f_inode")}\\)`));
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${file.get("f_inode")} -> ${file.get("f_inode")}`));
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${inode.get("i_ino")} -> ${inode.get("i_ino")}`));
    expect(r.stderr).toMatch(new RegExp(`patched insn #\\d+ \\(ALU/ALU64\\) imm ${file.get("f_flags")} -> ${file.get("f_flags")}`));
    const host = vmlinuxMemberOffsets("file");
    expect(["f_inode", "f_flags"].some((f) => host.get(f) !== file.get(f)), "6.1's layout, not this machine's").toBe(true);
  });

  it("names arm64's syscall wrappers: __x64_sys_getpid is not in its BTF, and the warning says what is", () => {
    const d = diagnostics("x64-wrapper", `import { kprobe } from "bpftsc";\nexport const p = kprobe("__x64_sys_getpid", () => {});\n`, btf);
    expect(d).toEqual([expect.stringMatching(/warning BPF6002: Kernel function '__x64_sys_getpid' is not in the kernel's BTF .* Similar names: __arm64_sys_getpid\b/)]);
  });
});

describe("the other architecture's BTF or binaries", () => {
  it("warns that this machine's BTF is an x86_64 kernel's when compiling a kprobe for arm64 without --btf", () => {
    fs.mkdirSync(DIR, { recursive: true });
    const d = diagnostics("host-btf", `import { kprobe, type u64 } from "bpftsc";\nexport const p = kprobe("vfs_write", (count: u64) => {});\n`);
    expect(d).toEqual([expect.stringMatching(/warning BPF6002: Kernel BTF '\/sys\/kernel\/btf\/vmlinux' is not an arm64 kernel's \(its struct pt_regs has no regs\[0\] at offset 0\): .*Give an arm64 kernel's BTF \(--btf\)/)]);
  });

  it("refuses a uprobe on a binary of the other architecture: its DWARF registers would be misread", () => {
    fs.mkdirSync(DIR, { recursive: true });
    const probe = (bin: string) => `import { uprobe, type u64 } from "bpftsc";\nexport const p = uprobe(${JSON.stringify(bin)}, "main", (arg0: u64) => {});\n`;
    const x86Binary = buildTarget("x86-main", "int main(void) { return 0; }\n", ["-g"]);
    expect(diagnostics("x86-binary", probe(x86Binary))).toEqual([expect.stringContaining(`error BPF6002: ${x86Binary} is an x86_64 binary, but this compile is for arm64 (the arch option).`)]);
    const armBinary = buildTarget("arm64-main", "int main(void) { return 0; }\n", ["-g"], ARM64.toolchain);
    const file = path.join(DIR, "arm64-binary.ts");
    fs.writeFileSync(file, probe(armBinary));
    const r = compile({ fileName: file, source: probe(armBinary), arch: "x86_64" });
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([expect.stringContaining(`error BPF6002: ${armBinary} is an arm64 binary, but this compile is for x86_64 (the arch option).`)]);
  });
});
