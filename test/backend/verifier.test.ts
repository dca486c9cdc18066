// The kernel verifier on the backend's output (Linux, root, python3 for the bpf() syscall;
// skipped elsewhere): the map lookup with its null check and a batch of random programs, loaded
// as kprobe programs. The pure test helpers 100..105 become bpf_ktime_get_ns (5), which ignores
// R1..R5, so argument passing still runs but the kernel accepts the call.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFunction } from "../../compiler/backend/index.js";
import type { MachineCode } from "../../compiler/backend/output.js";
import { byteOffsets, encode, JMP, CLS } from "../../compiler/bpf/insn.js";
import { formatListing } from "../../compiler/bpf/disasm.js";
import { randomProgram } from "./support/random-ir.js";
import { FnBuilder, imm } from "./support/ir.js";

const SCRIPT = fileURLToPath(new URL("./support/verifier.py", import.meta.url));

function verify(progs: MachineCode[]): { ok: boolean; log: string }[] | undefined {
  const input = progs.map((mc) => {
    const insns = mc.insns.map((i) => (i.code === (CLS.JMP | JMP.CALL) && i.imm >= 100 ? { ...i, imm: 5 } : i));
    const offs = byteOffsets(insns);
    return { hex: Buffer.from(encode(insns)).toString("hex"), maps: mc.relocs.map((m) => offs[m.insn]! / 8) };
  });
  const r = spawnSync("python3", [SCRIPT], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as { ok: boolean; log: string }[];
}



describe("kernel verifier", () => {
  it("accepts a map lookup, null check and atomic add", () => {
    const b = new FnBuilder();
    const key = b.slot(8);
    const pid = b.call(14, [])!;
    b.store({ slot: key }, 0, 8, pid);
    const m = b.mapref("seen");
    const kp = b.addr(key);
    const v = b.call(1, [m, kp])!;
    const none = b.label(), some = b.label();
    b.br("eq", v, imm(0), none, some);
    b.at(some);
    b.ins({ op: "atomic_add", base: { reg: v }, off: 0, size: 8, src: pid });
    b.ret(imm(1));
    b.at(none).ret(imm(0));
    const [res] = verify([compileFunction(b.build())])!;
    expect(res!.log).toBe("");
    expect(res!.ok).toBe(true);
  });

  it.each(["v3", "v4"] as const)("accepts random programs with loops, calls, spills and lookups (CPU %s)", (cpu) => {
    const progs: MachineCode[] = [];
    for (let seed = 1; seed <= 60; seed++) progs.push(compileFunction(randomProgram(seed * 104729, 4 + (seed % 3) * 10).ir, { cpu }));
    const res = verify(progs)!;
    res.forEach((r, k) => expect(r.ok, `seed ${k + 1}: ${r.log}\n${formatListing(progs[k]!.insns)}`).toBe(true));
  });
});
