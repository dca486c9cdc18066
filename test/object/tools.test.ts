// The written object read by real tools: readelf -a (no warnings, expected sections,
// flags and symbols), llvm-objdump-19 -dr (disassembly and R_BPF_64_64 relocations),
// bpftool btf dump (the exact type graph, also as C).

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { writeObject } from "../../compiler/object/write-elf.js";
import { basicModel, fentryModel } from "./fixtures.js";
import { run, runOk, writeTemp } from "./tools.js";

let obj: string;
beforeAll(() => {
  obj = writeTemp("tools.o", writeObject(basicModel()));
});

describe("readelf -a", () => {
  it("reads the object without warnings", () => {
    const r = run("readelf", ["-a", "-W", obj]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toMatch(/warning|error|corrupt/i);
    expect(r.stdout).toMatch(/Class:\s+ELF64/);
    expect(r.stdout).toMatch(/Data:\s+2's complement, little endian/);
    expect(r.stdout).toMatch(/Type:\s+REL \(Relocatable file\)/);
    expect(r.stdout).toMatch(/Machine:\s+Linux BPF/);
  });

  it("has program sections AX/align 8, license and .maps WA, .rel with link to .symtab", () => {
    const out = runOk("readelf", ["-S", "-W", obj]).stdout;
    const sec = (name: string): string[] => {
      const line = out.split("\n").find((l) => l.includes(`] ${name} `));
      expect(line, name).toBeDefined();
      return line!.replace(/^.*\]\s+/, "").trim().split(/\s+/).slice(1); // without the name
    };
    // name type addr off size es flg lk inf al
    expect(sec("kprobe/vfs_write")).toEqual(expect.arrayContaining(["PROGBITS", "000090", "AX"]));
    expect(sec("kprobe/vfs_write").at(-1)).toBe("8");
    expect(sec("tracepoint/syscalls/sys_enter_openat")).toEqual(expect.arrayContaining(["PROGBITS", "000060", "AX"]));
    expect(sec("license")).toEqual(expect.arrayContaining(["PROGBITS", "000004", "WA"]));
    expect(sec(".maps")).toEqual(expect.arrayContaining(["PROGBITS", "000050", "WA"]));
    expect(sec(".BTF")[0]).toBe("PROGBITS");
    expect(sec(".BTF.ext")[0]).toBe("PROGBITS");
    const rel = sec(".relkprobe/vfs_write");
    expect(rel[0]).toBe("REL");
    const symtabIdx = /\[\s*(\d+)\] \.symtab /.exec(out)![1];
    const kprobeIdx = /\[\s*(\d+)\] kprobe\/vfs_write /.exec(out)![1];
    expect(rel.slice(-3, -1)).toEqual([symtabIdx, kprobeIdx]); // Lk, Inf
  });

  it("has global FUNC symbols per program and OBJECT symbols per map and _license", () => {
    const out = runOk("readelf", ["-s", "-W", obj]).stdout;
    const sym = (name: string): string => out.split("\n").find((l) => l.endsWith(` ${name}`))?.trim() ?? "";
    expect(sym("onWrite")).toMatch(/^\d+: 0+ +144 FUNC +GLOBAL DEFAULT +\d+ onWrite$/);
    expect(sym("onOpen")).toMatch(/^\d+: 0+ +96 FUNC +GLOBAL DEFAULT +\d+ onOpen$/);
    expect(sym("seen")).toMatch(/^\d+: 0+ +32 OBJECT +GLOBAL DEFAULT +\d+ seen$/);
    expect(sym("counts")).toMatch(/^\d+: 0+20 +32 OBJECT +GLOBAL DEFAULT +\d+ counts$/);
    expect(sym("events")).toMatch(/^\d+: 0+40 +16 OBJECT +GLOBAL DEFAULT +\d+ events$/);
    expect(sym("_license")).toMatch(/^\d+: 0+ +4 OBJECT +GLOBAL DEFAULT +\d+ _license$/);
  });

  it("holds the license string", () => {
    const out = runOk("readelf", ["-x", "license", obj]).stdout;
    expect(out).toMatch(/0x00000000 47504c00 +GPL\./);
  });
});

describe("llvm-objdump-19 -dr", () => {
  it("disassembles every instruction and shows the map relocations", () => {
    const r = runOk("llvm-objdump-19", ["-dr", "--no-print-imm-hex", obj]);
    expect(r.stderr).toBe("");
    const out = r.stdout;
    expect(out).toContain("file format elf64-bpf");
    expect(out).not.toContain("<unknown>");
    expect(out).toMatch(/Disassembly of section kprobe\/vfs_write:\s+0+ <onWrite>:/);
    expect(out).toMatch(/Disassembly of section tracepoint\/syscalls\/sys_enter_openat:\s+0+ <onOpen>:/);
    expect(out).toMatch(/2:\s+18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\s+r1 = 0 ll\s+0+10:\s+R_BPF_64_64\s+seen/);
    expect(out).toMatch(/9:\s+18 01 (00 ){13}00\s+r1 = 0 ll\s+0+48:\s+R_BPF_64_64\s+events/);
    expect(out).toMatch(/2:\s+18 01 (00 ){13}00\s+r1 = 0 ll\s+0+10:\s+R_BPF_64_64\s+counts/);
    expect(out).toContain("call 130");
    expect(out).toContain("lock *(u64 *)(r0 + 0) += r1");
    expect(out.match(/\bexit\b/g)).toHaveLength(2);
  });
});

describe("bpftool btf dump file", () => {
  it("shows the map definitions, DATASECs and program FUNCs", () => {
    const out = runOk("bpftool", ["btf", "dump", "file", obj]).stdout;
    expect(out).toBe(readFileSync(new URL("./basic.btf.txt", import.meta.url), "utf8"));
  });

  it("prints C for the types", () => {
    const out = runOk("bpftool", ["btf", "dump", "file", obj, "format", "c"]).stdout;
    expect(out).toContain("typedef unsigned int u32;");
    expect(out).toContain("typedef unsigned long long u64;");
    expect(out).toContain("struct pt_regs;");
  });

  it("gives an fentry program an `unsigned long long *ctx` parameter", () => {
    const f = writeTemp("fentry.o", writeObject(fentryModel()));
    const out = runOk("bpftool", ["btf", "dump", "file", f]).stdout;
    expect(out).toContain("[2] INT 'unsigned long long' size=8 bits_offset=0 nr_bits=64 encoding=(none)\n[3] PTR '(anon)' type_id=2\n[4] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'ctx' type_id=3\n[5] FUNC 'f' type_id=4 linkage=global");
    expect(out).toContain("DATASEC 'license' size=13 vlen=1"); // "Dual BSD/GPL\0"
    expect(out).not.toContain(".maps");
    expect(runOk("llvm-objdump-19", ["-d", "--no-print-imm-hex", f]).stdout).toMatch(/<f>:\s+0:\s+b7 00 00 00 00 00 00 00\s+r0 = 0\s+1:\s+95 00 00 00 00 00 00 00\s+exit/);
  });
});
