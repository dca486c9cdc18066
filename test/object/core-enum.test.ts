// CO-RE enumerator relocations resolved by libbpf against the running kernel's BTF: a
// kprobe whose local enums carry placeholder values loads with the kernel's values (and
// 0 for an enumerator it lacks) patched into its ld_imm64s. The local enums are in .BTF
// with just the referenced enumerators, which llvm-objdump names from the access strings.
// The writer refuses an instruction libbpf would refuse to relocate.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeObject } from "../../compiler/object/write-elf.js";
import { coreEnumModel, ENUM_RELOS, heldByLibbpf, I, R1 } from "./fixtures.js";
import { loadAll, runOk, vmlinuxEnumValues, writeTemp, type Loaded } from "./tools.js";

/** What libbpf patches in for an enumerator: an ENUM's 32 bits sign-extended, an ENUM64's 64. */
const asLibbpf = (v: bigint, enum64 = false): bigint => BigInt.asUintN(64, enum64 ? v : BigInt.asIntN(32, v));

describe("CO-RE enumerator relocations", () => {
  let obj: string;
  let loaded: Loaded;
  beforeAll(() => {
    obj = writeTemp("core-enum.o", writeObject(coreEnumModel()));
    loaded = loadAll(obj);
  });
  afterAll(() => loaded?.cleanup());

  it("puts each enum into .BTF with the referenced enumerators, in its order, as ENUM or ENUM64", () => {
    const out = runOk("bpftool", ["btf", "dump", "file", obj]).stdout;
    expect(out).toMatch(/\] ENUM 'node_stat_item' encoding=UNSIGNED size=4 vlen=2\n\t'NR_SHMEM' val=1000\n\t'NR_WRITEBACK_TEMP' val=7\n/);
    expect(out).toMatch(/\] ENUM 'init_ns_ino' encoding=UNSIGNED size=4 vlen=1\n\t'PID_NS_INIT_INO' val=4026531836\n/);
    expect(out).toMatch(/\] ENUM64 'perf_callchain_context' encoding=UNSIGNED size=8 vlen=1\n\t'PERF_CONTEXT_KERNEL' val=5ULL\n/);
    expect(out).toMatch(/\] ENUM 'perf_event_state___x' encoding=SIGNED size=4 vlen=1\n\t'PERF_EVENT_STATE_DEAD' val=0\n/);
  });

  it("llvm-objdump reads each relocation's kind, enum and enumerator", () => {
    const out = runOk("llvm-objdump-19", ["-dr", obj]).stdout;
    const relos = [...out.matchAll(/CO-RE <(enumval_\w+)> \[\d+\] enum (\w+)::(\w+) = (\d+)/g)].map((m) => m.slice(1).join(" "));
    expect(relos).toEqual([
      "enumval_value node_stat_item NR_SHMEM 1000",
      "enumval_exists node_stat_item NR_WRITEBACK_TEMP 7",
      // llvm-objdump, like libbpf, reads an ENUM's value as signed 32 bits.
      `enumval_value init_ns_ino PID_NS_INIT_INO ${asLibbpf(0xeffffffcn)}`,
      "enumval_value perf_callchain_context PERF_CONTEXT_KERNEL 5",
      "enumval_value perf_event_state___x PERF_EVENT_STATE_DEAD 0",
    ]);
  });

  it("libbpf patches in this kernel's values, 0 for an enumerator it lacks, and the verifier accepts it", () => {
    expect(loaded.status, loaded.log).toBe(0);
    const nodeStat = vmlinuxEnumValues("node_stat_item");
    const initNs = vmlinuxEnumValues("init_ns_ino");
    const callchain = vmlinuxEnumValues("perf_callchain_context");
    const eventState = vmlinuxEnumValues("perf_event_state");
    expect(nodeStat.has("NR_WRITEBACK_TEMP")).toBe(false);
    expect(loaded.log).toContain(`relo #0: patched insn #0 (LDIMM64) imm64 1000 -> ${nodeStat.get("NR_SHMEM")}`);
    expect(loaded.log).toContain("relo #1: patched insn #2 (LDIMM64) imm64 1 -> 0");
    expect(loaded.log).toContain(`relo #2: patched insn #4 (LDIMM64) imm64 ${asLibbpf(0xeffffffcn)} -> ${asLibbpf(initNs.get("PID_NS_INIT_INO")!)}`);
    expect(loaded.log).toContain(`relo #3: patched insn #6 (LDIMM64) imm64 5 -> ${callchain.get("PERF_CONTEXT_KERNEL")}`);
    expect(loaded.log).toContain(`relo #4: patched insn #8 (LDIMM64) imm64 0 -> ${asLibbpf(eventState.get("PERF_EVENT_STATE_DEAD")!)}`);
    const x = runOk("bpftool", ["prog", "dump", "xlated", "pinned", `${loaded.dir}/onRead`]).stdout;
    expect(x).toContain(`r1 = 0x${nodeStat.get("NR_SHMEM")!.toString(16)}`);
    expect(x).toContain(`r4 = 0x${callchain.get("PERF_CONTEXT_KERNEL")!.toString(16)}`);
  });

  it("refuses an ld_imm64 that does not hold what libbpf expects, a relocation on another instruction, an unknown enumerator", () => {
    // clang 19 writes an unsigned ENUM's value past 2^31 zero-extended, which libbpf 1.1 refuses.
    expect(() => writeObject(coreEnumModel((r) => (r.field === "PID_NS_INIT_INO" ? 0xeffffffcn : heldByLibbpf(r)))))
      .toThrow(/enum init_ns_ino's PID_NS_INIT_INO: the instruction holds 4026531836, libbpf expects 18446744073441116156/);
    const onMov = coreEnumModel();
    onMov.programs[0]!.insns[1] = I.movImm(R1, 1);
    expect(() => writeObject(onMov)).toThrow(/NR_WRITEBACK_TEMP on an instruction that is not a plain ld_imm64/);
    const unknown = coreEnumModel();
    unknown.programs[0]!.coreRelos = [{ ...ENUM_RELOS[0]!, field: "NR_NOPE" }];
    expect(() => writeObject(unknown)).toThrow(/enum node_stat_item's NR_NOPE, which it does not have/);
  });
});
