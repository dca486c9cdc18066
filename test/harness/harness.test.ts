// Self-test of the real-kernel harness with clang-built C probes: proves the loader, the
// targets and the decoding helpers before bpftsc compiles anything. Runs for real, as root.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { writeObject } from "../../compiler/object/write-elf.js";
import { U32, U64 } from "../../compiler/types/ctype.js";
import { basicModel } from "../object/fixtures.js";
import { writeTemp } from "../object/tools.js";
import {
  LoaderError,
  buildBpfFixture,
  buildTargetFile,
  decodeInt,
  decodeSigned,
  decodeStruct,
  decodeUnsigned,
  encodeInt,
  getMap,
  getProgram,
  intEntries,
  kernelAvailable,
  le,
  loaderArgs,
  lookup,
  lookupInt,
  lookupPerCpu,
  runLoader,
  sumPerCpu,
  type LoaderResult,
} from "./harness.js";
import {
  ARGS_CALLS,
  ARGS_GETPID_CALLS,
  ARGS_TICKS,
  EDGE_DIV,
  STRUCTS_LIST,
  STRUCTS_REC_VALUES,
  STRUCT_REC,
  STRUCT_REC_SIZE,
} from "./targets/expected.js";

const SLOW = { timeout: 120_000 };

describe("decoding helpers", () => {
  it("reads little-endian integers by width and signedness", () => {
    expect(decodeUnsigned("fbffffffffffffff")).toBe(0xfffffffffffffffbn);
    expect(decodeSigned("fbffffffffffffff")).toBe(-5n);
    expect(decodeInt("00000080ffffffff", "i32")).toBe(-2147483648n);
    expect(decodeInt("00000080ffffffff", "i64")).toBe(-2147483648n);
    expect(decodeInt("00000080ffffffff", "u32", 4)).toBe(0xffffffffn);
    expect(le.u16("3412")).toBe(0x1234n);
    expect(le.i8("ff", 0)).toBe(-1n);
    expect(encodeInt(-2, 4)).toBe("feffffff");
    expect(encodeInt(0xfedcba9876543210n, 8)).toBe("1032547698badcfe");
    expect(decodeStruct("0100feff", { a: { offset: 0, type: "u16" }, b: { offset: 2, type: "i16" } })).toEqual({ a: 1n, b: -2n });
    expect(() => decodeInt("00", "u32")).toThrow(/outside/);
  });

  it("builds loader argument vectors", () => {
    expect(loaderArgs("/x.o", { attach: true, stats: true, ringbufs: ["ev"], command: ["/bin/true", "a"] })).toEqual([
      "/x.o", "--attach", "--stats", "--ringbuf", "ev", "--", "/bin/true", "a",
    ]);
  });
});

describe("real kernel", SLOW, () => {
  let argsBin: string;
  let structsBin: string;

  beforeAll(() => {
    kernelAvailable();
    argsBin = buildTargetFile("args");
    structsBin = buildTargetFile("structs");
  }, 120_000);

  it("has root, bpf() and the kprobe and tracepoint program types", () => {
    const k = kernelAvailable();
    expect(k.kprobe).toBe(true);
    expect(k.tracepoint).toBe(true);
    expect(k.possible_cpus).toBeGreaterThan(0);
  });

  describe("uprobes, per-CPU maps, ring buffers and a tracepoint on args.c", () => {
    let r: LoaderResult;
    beforeAll(() => {
      const obj = buildBpfFixture("selftest", { TARGET_ARGS: argsBin });
      r = runLoader(obj, { attach: true, stats: true, command: [argsBin] });
    }, 120_000);

    it("ran the target to completion", () => {
      expect(r.command?.exit_code).toBe(0);
      expect(r.command?.signal).toBeNull();
      expect(r.command?.timed_out).toBe(false);
      expect(r.command?.stdout).toMatch(/^args done \d+\n$/);
      expect(r.command?.argv).toEqual([argsBin]);
    });

    it("attached every program and reports verifier statistics", () => {
      expect(r.programs.map((p) => p.name).sort()).toEqual(
        ["on_args8", "on_dirty_char", "on_dirty_int", "on_dirty_ushort", "on_getpid", "on_tick"],
      );
      for (const p of r.programs) {
        expect(p.attached).toBe(true);
        expect(p.insns).toBeGreaterThan(0);
        expect(p.xlated_insns).toBeGreaterThan(0);
        expect(p.verified_insns).toBeGreaterThan(0);
      }
      expect(getProgram(r, "on_args8").section).toBe(`uprobe/${argsBin}:args8`);
      expect(getProgram(r, "on_args8").type).toBe("kprobe");
      expect(getProgram(r, "on_getpid").type).toBe("tracepoint");
    });

    it("read all eight arguments of args8, two of them from the stack", () => {
      const m = getMap(r, "args");
      expect(m.type).toBe("hash");
      expect(m.key_size).toBe(4);
      expect(m.value_size).toBe(8);
      expect(m.entries).toHaveLength(8);
      ARGS_CALLS.args8!.forEach((arg, i) => {
        expect(lookupInt(m, i, arg.signed ? "i64" : "u64"), `args8 ${arg.name}`).toBe(arg.value);
      });
    });

    it("truncates narrow arguments whose register has dirty upper bits", () => {
      const m = getMap(r, "dirty");
      expect(m.type).toBe("array");
      expect(m.entries).toHaveLength(4); // arrays: every index
      expect(lookupInt(m, 0, "i64")).toBe(ARGS_CALLS.dirty_char![0]!.value);
      expect(lookupInt(m, 1, "i64")).toBe(ARGS_CALLS.dirty_ushort![0]!.value);
      expect(lookupInt(m, 2, "i64")).toBe(ARGS_CALLS.dirty_int![0]!.value);
      expect(lookupInt(m, 3, "i64")).toBe(0n);
    });

    it("dumps per-CPU values for every possible CPU", () => {
      const m = getMap(r, "ticks");
      expect(m.type).toBe("percpu_array");
      const values = lookupPerCpu(m, 0)!;
      expect(values).toHaveLength(r.possible_cpus);
      expect(sumPerCpu(values)).toBe(BigInt(ARGS_TICKS.length));
      expect(() => lookup(m, 0)).toThrow(/per-CPU/);
    });

    it("consumes ring buffer records in order", () => {
      const m = getMap(r, "events");
      expect(m.type).toBe("ringbuf");
      expect(m.entries).toBeUndefined();
      const recs = (m.records ?? []).map((h) => decodeStruct(h, { i: { offset: 0, type: "u32" }, tgid: { offset: 4, type: "u32" } }));
      expect(recs.map((x) => x.i)).toEqual(ARGS_TICKS);
      for (const x of recs) expect(x.tgid).toBe(BigInt(r.command!.pid));
    });

    it("counts the target's getpid() calls with a tracepoint", () => {
      const byTgid = intEntries(getMap(r, "getpid_by_tgid"), "u64");
      expect(byTgid.get(BigInt(r.command!.pid))).toBe(BigInt(ARGS_GETPID_CALLS));
      const total = lookupInt(getMap(r, "getpid_total"), 0, "u64")!;
      expect(total).toBeGreaterThanOrEqual(BigInt(ARGS_GETPID_CALLS));
    });
  });

  it("attaches a second object beside the first, and both run on every event (--beside)", () => {
    const obj = buildBpfFixture("selftest", { TARGET_ARGS: argsBin });
    const stats = "/proc/sys/kernel/bpf_stats_enabled";
    const before = readFileSync(stats, "utf8").trim();
    writeFileSync(stats, "1");
    let r: LoaderResult;
    try {
      r = runLoader(obj, { attach: true, stats: true, beside: obj, command: [argsBin] });
    } finally {
      writeFileSync(stats, before);
    }
    expect(r.command?.exit_code).toBe(0);
    expect(r.beside?.object).toBe(obj);
    const names = (ps: { name: string }[]): string[] => ps.map((p) => p.name).sort();
    expect(names(r.beside!.programs)).toEqual(names(r.programs));
    for (const p of r.programs) {
      const twin = r.beside!.programs.find((q) => q.name === p.name)!;
      expect(twin.attached).toBe(true);
      expect(twin.run_cnt, p.name).toBeGreaterThan(0);
      // The counts cover the command's run only: for the target's own events, the same
      // number on both sides. on_getpid also counts other processes' getpid() calls, one
      // of which may be running when the counts are read.
      if (p.name !== "on_getpid") expect(twin.run_cnt, p.name).toBe(p.run_cnt);
    }
    expect(getProgram(r, "on_tick").run_cnt).toBe(ARGS_TICKS.length);
  });

  it("reads a linked list and a struct of every width through user pointers (structs.c)", () => {
    const obj = buildBpfFixture("structs", { TARGET_STRUCTS: structsBin });
    const r = runLoader(obj, { attach: true, command: [structsBin] });
    expect(r.command?.stdout).toBe("sum_list 66\n");
    const list = getMap(r, "list_values");
    expect(list.entries).toHaveLength(8);
    const values = (list.entries ?? []).map((e) => le.i64(e.value!));
    expect(values).toEqual([...STRUCTS_LIST, 0n, 0n, 0n, 0n]);
    const rec = getMap(r, "rec_copy");
    expect(rec.value_size).toBe(STRUCT_REC_SIZE);
    expect(decodeStruct(lookup(rec, 0)!, STRUCT_REC)).toEqual(STRUCTS_REC_VALUES);
  });

  it("reports the verifier log when the kernel rejects a program", () => {
    const obj = buildBpfFixture("variants", { TARGET_ARGS: argsBin, VARIANT_VERIFIER_REJECT: 1 });
    let err: unknown;
    try {
      runLoader(obj, { attach: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoaderError);
    const le3 = err as LoaderError;
    expect(le3.stage).toBe("load");
    expect(le3.exitCode).toBe(3);
    expect(le3.message).toMatch(/invalid mem access 'map_value_or_null'/);
    expect(le3.log).toMatch(/BEGIN PROG LOAD LOG/);
  });

  it("fails at attach, naming the program, when the uprobe symbol does not exist", () => {
    const obj = buildBpfFixture("variants", { TARGET_ARGS: argsBin, VARIANT_NO_SYMBOL: 1 });
    expect(() => runLoader(obj, { attach: true })).toThrow(/attach program 'missing'.*no_such_function/);
    // Without --attach it loads fine.
    const r = runLoader(obj);
    expect(r.programs).toEqual([{ name: "missing", section: `uprobe/${argsBin}:no_such_function`, type: "kprobe", attached: false, btf_id: expect.any(Number) }]);
    expect(r.command).toBeNull();
  });

  it("loads a kprobe program (attaching kprobes is not possible on these machines)", () => {
    const obj = buildBpfFixture("variants", { TARGET_ARGS: argsBin, VARIANT_KPROBE: 1 });
    const r = runLoader(obj, { stats: true, btfCustom: "/sys/kernel/btf/vmlinux" });
    expect(getProgram(r, "on_nanosleep").type).toBe("kprobe");
    expect(getProgram(r, "on_nanosleep").verified_insns).toBeGreaterThan(0);
    expect(getMap(r, "counts").entries).toEqual([]);
  });

  it("reports the command's exit status, signal and timeout", () => {
    const obj = buildBpfFixture("variants", { TARGET_ARGS: argsBin, VARIANT_KPROBE: 1 });
    const r = runLoader(obj, { command: ["sh", "-c", "echo hi; exit 7"] });
    expect(r.command).toMatchObject({ exit_code: 7, signal: null, timed_out: false, stdout: "hi\n" });
    const t = runLoader(obj, { command: ["sleep", "30"], timeoutSeconds: 0.5 });
    expect(t.command).toMatchObject({ exit_code: null, signal: 9, timed_out: true });
  });

  it("builds the edge-value target, which exits 0", () => {
    const bin = buildTargetFile("edge");
    const p = spawnSync(bin, { encoding: "utf8" });
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/^edge done \d+\n$/);
    expect(EDGE_DIV).toHaveLength(6);
  });

  it("fails when the kernel refuses the object's BTF, which libbpf would load the programs without", () => {
    // A map value whose members go backwards: the kernel's BTF check refuses that.
    const model = basicModel();
    model.maps[0]!.value = { kind: "struct", name: "backwards", size: 8, align: 4, fields: [{ name: "a", type: U32, offset: 4 }, { name: "b", type: U32, offset: 0 }] };
    const obj = writeTemp("harness-bad-btf.o", writeObject(model));
    let err: unknown;
    try {
      runLoader(obj);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as LoaderError).stage).toBe("btf");
    expect((err as LoaderError).log).toMatch(/Invalid member bits_offset[\s\S]*BTF is optional, ignoring/);
    // With valid BTF, every loaded program has it.
    model.maps[0]!.value = U64;
    const ok = runLoader(writeTemp("harness-good-btf.o", writeObject(model)));
    for (const p of ok.programs) expect(p.btf_id).toBeGreaterThan(0);
  });

  it("reports a missing object as an open failure", () => {
    let err: unknown;
    try {
      runLoader("/nonexistent/none.o");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoaderError);
    expect((err as LoaderError).stage).toBe("open");
    expect((err as LoaderError).exitCode).toBe(2);
  });
});
