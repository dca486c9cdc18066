// CO-RE relocations resolved by libbpf against the running kernel's BTF: a kprobe whose
// local views of struct pt_regs and struct file carry wrong offsets (0, 8, 0) loads with
// the kernel's real offsets patched into an LDX offset and two ALU-add immediates.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeObject } from "../../compiler/object/write-elf.js";
import { coreModel } from "./fixtures.js";
import { loadAll, runOk, vmlinuxMemberOffsets, writeTemp, type Loaded } from "./tools.js";

describe("CO-RE field offset relocations", () => {
  let obj: string;
  let loaded: Loaded;
  beforeAll(() => {
    obj = writeTemp("core.o", writeObject(coreModel()));
    loaded = loadAll(obj);
  });
  afterAll(() => loaded?.cleanup());

  it("puts the root structs with their fields into .BTF, and the ctx param points at struct pt_regs", () => {
    const out = runOk("bpftool", ["btf", "dump", "file", obj]).stdout;
    expect(out).toMatch(/\[(\d+)\] STRUCT 'pt_regs' size=8 vlen=1\n\t'di' type_id=\d+ bits_offset=0\n/);
    expect(out).toMatch(/STRUCT 'file' size=16 vlen=2\n\t'f_flags' type_id=\d+ bits_offset=0\n\t'f_inode' type_id=\d+ bits_offset=64\n/);
    const ptRegs = /\[(\d+)\] STRUCT 'pt_regs'/.exec(out)![1];
    const ptr = new RegExp(`\\[(\\d+)\\] PTR '\\(anon\\)' type_id=${ptRegs}\\n`).exec(out)![1];
    expect(out).toMatch(new RegExp(`FUNC_PROTO '\\(anon\\)' ret_type_id=\\d+ vlen=1\\n\\t'ctx' type_id=${ptr}\\n\\[\\d+\\] FUNC 'onWrite'`));
  });

  it("libbpf finds the kernel types and patches the instructions", () => {
    expect(loaded.status, loaded.log).toBe(0);
    expect(loaded.log).toContain("sec 'kprobe/vfs_write': found 3 CO-RE relocations");
    const regs = vmlinuxMemberOffsets("pt_regs");
    const file = vmlinuxMemberOffsets("file");
    expect(loaded.log).toContain(`relo #0: patched insn #0 (LDX/ST/STX) off 0 -> ${regs.get("di")}`);
    expect(loaded.log).toContain(`relo #1: patched insn #2 (ALU/ALU64) imm 8 -> ${file.get("f_inode")}`);
    expect(loaded.log).toContain(`relo #2: patched insn #8 (ALU/ALU64) imm 0 -> ${file.get("f_flags")}`);
  });

  it("the verifier accepts the relocated program, and the loaded code has the kernel's offsets", () => {
    const regs = vmlinuxMemberOffsets("pt_regs");
    const file = vmlinuxMemberOffsets("file");
    const x = runOk("bpftool", ["prog", "dump", "xlated", "pinned", `${loaded.dir}/onWrite`, "linum"]).stdout;
    expect(x).toContain("int onWrite(struct pt_regs * ctx):");
    expect(x).toContain(`   0: (79) r6 = *(u64 *)(r1 +${regs.get("di")})`);
    expect(x).toContain(`   2: (07) r3 += ${file.get("f_inode")}`);
    expect(x).toContain(`   8: (07) r3 += ${file.get("f_flags")}`);
    expect(x).toContain("; const inode = file.f_inode; [file:/tmp/core-probe.ts line_num:2 line_col:17]");
    expect(regs.get("di")).toBe(112); // x86-64, per ENVIRONMENT.md
  });
});
