// Golden listings: small probes, built as the frontend would lower them, compiled (for CPU v3,
// and one for v4) and printed with their source lines (formatListing). The expected text lives beside this file in
// golden/<name>.lst; run with UPDATE_GOLDEN=1 to rewrite it, then review the diff. The
// instruction lines are also checked against `llvm-objdump-19 -d --no-print-imm-hex` of the
// same bytes (assembled by llvm-mc-19).

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFunction } from "../../compiler/backend/index.js";
import type { CpuVersion } from "../../compiler/bpf/cpu.js";
import { formatListing } from "../../compiler/bpf/disasm.js";
import { encode } from "../../compiler/bpf/insn.js";
import type { IrFunction } from "../../compiler/ir/ir.js";
import { FnBuilder, imm } from "./support/ir.js";

const DIR = fileURLToPath(new URL("./golden/", import.meta.url));

interface Case { name: string; source: string; ir: () => IrFunction; cpu?: CpuVersion }

const countWrites: Case = {
  name: "count-writes",
  source: [
    'export const onWrite = kprobe("vfs_write", (file: Ptr<file>, count: u64) => {',
    "  const key: u32 = pid() >> 32;",
    "  const n = seen.get(key);",
    "  if (n !== undefined) atomicAdd(n, count);",
    "  else seen.set(key, count);",
    "  return 0;",
    "});",
  ].join("\n"),
  ir() {
    const b = new FnBuilder("onWrite");
    b.loc = { line: 1, col: 67 };
    const count = b.load({ reg: b.ctx }, 96, 8);
    b.hints.set(count, 2);
    const keyS = b.slot(4, 4, "key"), valS = b.slot(8, 8, "value");
    b.loc = { line: 2, col: 20 };
    const pid = b.call(14, [])!;
    const k = b.aluImm("rsh", pid, 32);
    b.store({ slot: keyS }, 0, 4, k);
    b.loc = { line: 3, col: 13 };
    const m = b.mapref("seen");
    const kp = b.addr(keyS);
    const v = b.call(1, [m, kp])!;
    const some = b.label(), none = b.label(), done = b.label();
    b.loc = { line: 4, col: 3 };
    b.br("ne", v, imm(0), some, none);
    b.at(some);
    b.loc = { line: 4, col: 26 };
    b.ins({ op: "atomic_add", base: { reg: v }, off: 0, size: 8, src: count });
    b.jmp(done);
    b.at(none);
    b.loc = { line: 5, col: 8 };
    b.store({ slot: valS }, 0, 8, count);
    const m2 = b.mapref("seen");
    const kp2 = b.addr(keyS);
    const vp = b.addr(valS);
    b.call(2, [m2, kp2, vp, imm(0)], false);
    b.jmp(done);
    b.at(done);
    b.loc = { line: 6, col: 3 };
    b.ret(imm(0));
    return b.build();
  },
};

const signedAverage: Case = {
  name: "signed-average",
  source: [
    'export const onRead = uprobe("/bin/app", "read_chunk", (total: i64, parts: i32) => {',
    "  let avg: i64 = 0;",
    "  for (let i = 0; i < 4; i++) avg += total / parts;",
    "  return avg % 1000;",
    "});",
  ].join("\n"),
  ir() {
    const b = new FnBuilder("onRead");
    b.loc = { line: 1, col: 58 };
    const total = b.load({ reg: b.ctx }, 112, 8);
    b.hints.set(total, 2);
    const raw = b.load({ reg: b.ctx }, 104, 8);
    const parts = b.reg();
    b.ins({ op: "ext", dst: parts, src: raw, bits: 32, signed: true });
    b.hints.set(parts, 3);
    b.loc = { line: 2, col: 7 };
    const avg = b.const(0);
    b.loc = { line: 3, col: 8 };
    const i = b.const(0);
    const head = b.label(), body = b.label(), exit = b.label();
    b.jmp(head);
    b.at(head);
    b.loc = { line: 3, col: 19 };
    b.br("slt", i, imm(4), body, exit);
    b.at(body);
    b.loc = { line: 3, col: 34 };
    const q = b.alu("sdiv", total, parts);
    b.ins({ op: "alu", alu: "add", dst: avg, a: avg, b: q });
    b.loc = { line: 3, col: 26 };
    b.ins({ op: "alu", alu: "add", dst: i, a: i, b: imm(1) });
    b.jmp(head);
    b.at(exit);
    b.loc = { line: 4, col: 3 };
    b.ret(b.alu("smod", avg, imm(1000)));
    return b.build();
  },
};

describe("golden listings", () => {
  it.each([countWrites, signedAverage, { ...signedAverage, name: "signed-average-v4", cpu: "v4" as const }])("$name", (c) => {
    const ir = c.ir();
    const mc = compileFunction(ir, { cpu: c.cpu });
    const listing = formatListing(mc.insns, { source: c.source, lines: mc.lines, symbol: ir.name });
    const file = join(DIR, `${c.name}.lst`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, listing);
    expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(listing).toBe(readFileSync(file, "utf8"));

    const bytes = encode(mc.insns);
    const dir = mkdtempSync(join(tmpdir(), "bpftsc-golden-"));
    const asm = ["\t.text", `\t.globl\t${ir.name}`, `${ir.name}:`];
    for (let k = 0; k < bytes.length; k += 8) asm.push(`\t.byte ${Array.from(bytes.subarray(k, k + 8)).join(",")}`);
    writeFileSync(join(dir, "a.s"), asm.join("\n") + "\n");
    execFileSync("llvm-mc-19", ["-triple=bpfel", "-filetype=obj", join(dir, "a.s"), "-o", join(dir, "a.o")]);
    const dump = execFileSync("llvm-objdump-19", ["-d", "--no-print-imm-hex", join(dir, "a.o")], { encoding: "utf8" });
    const theirs = dump.slice(dump.indexOf(`0000000000000000 <${ir.name}>:`)).trimEnd().split("\n");
    expect(listing.trimEnd().split("\n").filter((l) => !l.startsWith(";"))).toEqual(theirs);
  });
});
