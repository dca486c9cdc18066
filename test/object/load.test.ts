// The written object loaded into the running kernel through libbpf (bpftool prog loadall):
// the verifier accepts every program, the kernel accepts the BTF with func_info and
// line_info (visible in `bpftool prog dump xlated ... linum`), maps are created as their
// BTF definitions say; `bpftool gen skeleton` and `bpftool gen object` accept the object.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeObject } from "../../compiler/object/write-elf.js";
import { MAP_TYPE } from "../../compiler/object/model.js";
import { BOOL, I16, I32, I64, U32, U64, U8, int, layoutStruct } from "../../compiler/types/ctype.js";
import { basicModel, I, kprobeProgram, R0, R1, R10, R2 } from "./fixtures.js";
import { loadAll, runOk, writeTemp, type Loaded } from "./tools.js";

interface ProgInfo { type: string; name: string; map_ids?: number[]; btf_id?: number; gpl_compatible: boolean }
interface MapInfo { type: string; name: string; flags: number; bytes_key: number; bytes_value: number; max_entries: number; btf_id?: number }

const progInfo = (pin: string): ProgInfo => JSON.parse(runOk("bpftool", ["prog", "show", "pinned", pin, "-j"]).stdout) as ProgInfo;
const mapInfo = (id: number): MapInfo => JSON.parse(runOk("bpftool", ["map", "show", "id", String(id), "-j"]).stdout) as MapInfo;
const xlated = (pin: string): string => runOk("bpftool", ["prog", "dump", "xlated", "pinned", pin, "linum"]).stdout;

/** Signs that libbpf dropped or the kernel refused part of the object. */
const TROUBLE = /BTF is optional|fail|error|warning|ignor/i;

describe("kprobe + tracepoint object with HASH, ARRAY and RINGBUF maps", () => {
  let obj: string;
  let loaded: Loaded;
  beforeAll(() => {
    obj = writeTemp("load-basic.o", writeObject(basicModel()));
    loaded = loadAll(obj);
  });
  afterAll(() => loaded?.cleanup());

  it("loads: libbpf relocates the map references and the verifier accepts both programs", () => {
    expect(loaded.status, loaded.log).toBe(0);
    expect(loaded.log).not.toMatch(TROUBLE);
    expect(loaded.log).toContain("prog 'onWrite': found map 0 (seen, sec 4, off 0) for insn #2");
    expect(loaded.log).toContain("prog 'onWrite': found map 2 (events, sec 4, off 64) for insn #9");
    expect(loaded.log).toContain("prog 'onOpen': found map 1 (counts, sec 4, off 32) for insn #2");
    expect(progInfo(`${loaded.dir}/onWrite`)).toMatchObject({ type: "kprobe", name: "onWrite", gpl_compatible: true });
    expect(progInfo(`${loaded.dir}/onOpen`)).toMatchObject({ type: "tracepoint", name: "onOpen" });
  });

  it("the kernel took the BTF: FUNC prototypes and TypeScript line info", () => {
    const w = progInfo(`${loaded.dir}/onWrite`);
    expect(w.btf_id).toBeGreaterThan(0);
    const wx = xlated(`${loaded.dir}/onWrite`);
    expect(wx.split("\n")[0]).toBe("int onWrite(struct pt_regs * ctx):");
    expect(wx).toContain("; const n = seen.get(1); [file:probe.ts line_num:6 line_col:13]\n   0: (b7) r1 = 1");
    // The kernel inlines the hash lookup, so later instruction numbers shift.
    expect(wx).toMatch(/; events\.output\(n\); \[file:probe\.ts line_num:7 line_col:3\]\n +\d+: \(b7\) r1 = 0\n +\d+: \(7b\)/);
    expect(wx).toMatch(/; return 0; \[file:probe\.ts line_num:8 line_col:3\]\n +\d+: \(b7\) r0 = 0\n +\d+: \(95\) exit\n$/);
    const ox = xlated(`${loaded.dir}/onOpen`);
    expect(ox.split("\n")[0]).toBe("int onOpen(void * ctx):");
    expect(ox).toContain("; counts.add(0, 1); [file:probe.ts line_num:11 line_col:3]\n   0: (b7) r1 = 0");
  });

  it("creates the maps from their BTF definitions", () => {
    const ids = [...progInfo(`${loaded.dir}/onWrite`).map_ids ?? [], ...progInfo(`${loaded.dir}/onOpen`).map_ids ?? []];
    const maps = Object.fromEntries(ids.map((id) => mapInfo(id)).map((m) => [m.name, m]));
    expect(maps.seen).toMatchObject({ type: "hash", flags: 0, bytes_key: 4, bytes_value: 8, max_entries: 1024 });
    expect(maps.seen!.btf_id).toBeGreaterThan(0); // key/value types taken from BTF
    expect(maps.counts).toMatchObject({ type: "array", bytes_key: 4, bytes_value: 8, max_entries: 8 });
    expect(maps.events).toMatchObject({ type: "ringbuf", bytes_key: 0, bytes_value: 0, max_entries: 4096 });
  });

  it("bpftool gen skeleton accepts it", () => {
    const skel = runOk("bpftool", ["gen", "skeleton", obj, "name", "probe"]).stdout;
    for (const s of ["struct bpf_map *seen;", "struct bpf_map *counts;", "struct bpf_map *events;",
      "struct bpf_program *onWrite;", "struct bpf_program *onOpen;", "probe__open_and_load"]) {
      expect(skel).toContain(s);
    }
  });

  it("bpftool gen object links it, and the linked object loads too", () => {
    const linked = writeTemp("load-basic-linked.o", new Uint8Array());
    runOk("bpftool", ["gen", "object", linked, obj]);
    const l = loadAll(linked);
    try {
      expect(l.status, l.log).toBe(0);
      expect(l.log).not.toMatch(TROUBLE);
      expect(xlated(`${l.dir}/onWrite`)).toContain("[file:probe.ts line_num:6 line_col:13]");
    } finally {
      l.cleanup();
    }
  });
});

describe("two programs in one section, map flags, no ring buffer", () => {
  it("loads both programs; map_flags reaches the kernel", () => {
    const m = basicModel();
    m.programs = [kprobeProgram("first"), kprobeProgram("second")];
    m.programs.forEach((p) => { p.relocs = p.relocs.map((r) => ({ ...r, symbol: r.symbol === "events" ? "other" : r.symbol })); });
    m.maps = [
      { name: "seen", type: MAP_TYPE.HASH, key: U32, value: U64, maxEntries: 16, flags: 1 /* BPF_F_NO_PREALLOC */ },
      { name: "other", type: MAP_TYPE.RINGBUF, maxEntries: 4096 },
    ];
    const l = loadAll(writeTemp("load-shared.o", writeObject(m)));
    try {
      expect(l.status, l.log).toBe(0);
      expect(l.log).not.toMatch(TROUBLE);
      expect(l.log).toContain("sec 'kprobe/vfs_write': found program 'second' at insn offset 18 (144 bytes), code size 18 insns (144 bytes)");
      const second = progInfo(`${l.dir}/second`);
      expect(second.btf_id).toBeGreaterThan(0);
      expect(xlated(`${l.dir}/second`)).toContain("int second(struct pt_regs * ctx):\n; const n = seen.get(1); [file:probe.ts line_num:6 line_col:13]");
      const seen = second.map_ids!.map(mapInfo).find((x) => x.name === "seen");
      expect(seen).toMatchObject({ type: "hash", flags: 1, max_entries: 16 });
    } finally {
      l.cleanup();
    }
  });
});

describe("a map keyed by a struct with every kind of field", () => {
  it("the kernel accepts the key/value BTF (map gets a btf_id) and bpftool prints it as C", () => {
    const inner = layoutStruct("point", [{ name: "x", type: U32 }, { name: "y", type: I64 }]);
    const key = layoutStruct("key_t", [
      { name: "a", type: U8 }, { name: "b", type: I16 }, { name: "c", type: BOOL },
      { name: "comm", type: { kind: "array", elem: int("char", 1, true), length: 16, isString: true } },
      { name: "p", type: inner },
      { name: "ptr", type: { kind: "ptr", to: inner, space: "user" } },
      { name: "arr", type: { kind: "array", elem: I32, length: 3 } },
    ]);
    // Zero a 64-byte key at fp-64 and look it up.
    const insns = [I.movImm(R1, 0), ...Array.from({ length: 8 }, (_, k) => I.stxDW(R10, -8 * (k + 1), R1)),
      I.ldMap(R1), I.movReg(R2, R10), I.addImm(R2, -64), I.call(1), I.movImm(R0, 0), I.exit()];
    const m = basicModel();
    m.maps = [{ name: "seen", type: MAP_TYPE.HASH, key, value: U64, maxEntries: 4 }];
    m.programs = [{
      name: "onWrite", point: { kind: "kprobe", fn: "vfs_write" }, insns, coreRelos: [],
      relocs: [{ insn: 9, kind: "map", symbol: "seen" }], lines: [{ insn: 0, line: 6, col: 13 }],
    }];
    const obj = writeTemp("load-struct-key.o", writeObject(m));
    const c = runOk("bpftool", ["btf", "dump", "file", obj, "format", "c"]).stdout;
    expect(c).toContain("struct key_t {\n\tu8 a;\n\ti16 b;\n\tbool c;\n\tchar comm[16];\n\tstruct point p;\n\tstruct point *ptr;\n\ti32 arr[3];\n};");
    expect(key.size).toBe(64);
    const l = loadAll(obj);
    try {
      expect(l.status, l.log).toBe(0);
      expect(l.log).not.toMatch(TROUBLE);
      expect(l.log).toContain(`map 'seen': found key [`);
      const seen = progInfo(`${l.dir}/onWrite`).map_ids!.map(mapInfo).find((x) => x.name === "seen");
      expect(seen).toMatchObject({ type: "hash", bytes_key: 64, bytes_value: 8 });
      expect(seen!.btf_id).toBeGreaterThan(0);
    } finally {
      l.cleanup();
    }
  });
});
