// Hand-built BpfObjectModels for the object-writer tests, and tiny instruction builders.
// In: nothing. Out: models of a kprobe + tracepoint object with HASH, ARRAY and RINGBUF
// maps, and CO-RE models against kernel structs (struct file, struct pt_regs) and kernel
// enums.

import { ALU, CLS, JMP, MODE, SRC, SZ, type Insn } from "../../compiler/bpf/insn.js";
import { CORE_KIND, MAP_TYPE, type BpfObjectModel, type CoreRelo, type ObjectProgram } from "../../compiler/object/model.js";
import { I32, U32, U64, VOID, layoutStruct, type EnumType } from "../../compiler/types/ctype.js";

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R10 = 10;

export const I = {
  movImm: (dst: number, imm: number): Insn => ({ code: CLS.ALU64 | ALU.MOV | SRC.K, dst, src: 0, off: 0, imm }),
  movReg: (dst: number, src: number): Insn => ({ code: CLS.ALU64 | ALU.MOV | SRC.X, dst, src, off: 0, imm: 0 }),
  addImm: (dst: number, imm: number): Insn => ({ code: CLS.ALU64 | ALU.ADD | SRC.K, dst, src: 0, off: 0, imm }),
  /** ld_imm64 of a map address; libbpf fills src/imm from the relocation. */
  ldMap: (dst: number): Insn => ({ code: CLS.LD | SZ.DW | MODE.IMM, dst, src: 0, off: 0, imm: 0, imm64hi: 0 }),
  ld64: (dst: number, value: bigint): Insn => ({
    code: CLS.LD | SZ.DW | MODE.IMM, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, value)), imm64hi: Number(BigInt.asIntN(32, value >> 32n)),
  }),
  stxW: (dst: number, off: number, src: number): Insn => ({ code: CLS.STX | SZ.W | MODE.MEM, dst, src, off, imm: 0 }),
  stxDW: (dst: number, off: number, src: number): Insn => ({ code: CLS.STX | SZ.DW | MODE.MEM, dst, src, off, imm: 0 }),
  ldxDW: (dst: number, src: number, off: number): Insn => ({ code: CLS.LDX | SZ.DW | MODE.MEM, dst, src, off, imm: 0 }),
  atomicAddDW: (dst: number, src: number, off: number): Insn => ({ code: CLS.STX | SZ.DW | MODE.ATOMIC, dst, src, off, imm: ALU.ADD }),
  jeqImm: (dst: number, imm: number, off: number): Insn => ({ code: CLS.JMP | JMP.JEQ | SRC.K, dst, src: 0, off, imm }),
  call: (helper: number): Insn => ({ code: CLS.JMP | JMP.CALL, dst: 0, src: 0, off: 0, imm: helper }),
  exit: (): Insn => ({ code: CLS.JMP | JMP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }),
};

export const SOURCE = [
  'import { kprobe, tracepoint, HashMap, ArrayMap, RingBuf, type u32, type u64 } from "bpftsc";',
  "const seen = new HashMap<u32, u64>(1024);",
  "const counts = new ArrayMap<u64>(8);",
  "const events = new RingBuf(4096);",
  'export const onWrite = kprobe("vfs_write", () => {',
  "  const n = seen.get(1);",
  "  events.output(n);",
  "  return 0;",
  "});",
  'export const onOpen = tracepoint("syscalls", "sys_enter_openat", () => {',
  "  counts.add(0, 1);",
  "  return 0;",
  "});",
  "",
].join("\n");

/** kprobe: lookup seen[1]; ringbuf_output(events, &key, 8, 0); return 0. */
export function kprobeProgram(name = "onWrite", fn = "vfs_write"): ObjectProgram {
  const insns: Insn[] = [
    I.movImm(R1, 1), //                 0
    I.stxW(R10, -4, R1), //             1  key = 1
    I.ldMap(R1), //                     2  r1 = &seen
    I.movReg(R2, R10), //               3
    I.addImm(R2, -4), //                4  r2 = &key
    I.call(1), //                       5  map_lookup_elem
    I.movImm(R1, 0), //                 6
    I.stxDW(R10, -16, R1), //           7
    I.ldMap(R1), //                     8  r1 = &events
    I.movReg(R2, R10), //               9
    I.addImm(R2, -16), //              10
    I.movImm(R3, 8), //                11
    I.movImm(R4, 0), //                12
    I.call(130), //                    13  ringbuf_output
    I.movImm(R0, 0), //                14
    I.exit(), //                       15
  ];
  return {
    name, point: { kind: "kprobe", fn }, insns,
    relocs: [{ insn: 2, kind: "map", symbol: "seen" }, { insn: 8, kind: "map", symbol: "events" }],
    lines: [{ insn: 0, line: 6, col: 13 }, { insn: 6, line: 7, col: 3 }, { insn: 14, line: 8, col: 3 }],
    coreRelos: [],
  };
}

/** tracepoint: counts[0] += 1 (atomic); return 0. */
export function tracepointProgram(): ObjectProgram {
  const insns: Insn[] = [
    I.movImm(R1, 0), //                 0
    I.stxW(R10, -4, R1), //             1
    I.ldMap(R1), //                     2
    I.movReg(R2, R10), //               3
    I.addImm(R2, -4), //                4
    I.call(1), //                       5
    I.jeqImm(R0, 0, 2), //              6
    I.movImm(R1, 1), //                 7
    I.atomicAddDW(R0, R1, 0), //        8
    I.movImm(R0, 0), //                 9
    I.exit(), //                       10
  ];
  return {
    name: "onOpen", point: { kind: "tracepoint", category: "syscalls", event: "sys_enter_openat" }, insns,
    relocs: [{ insn: 2, kind: "map", symbol: "counts" }],
    lines: [{ insn: 0, line: 11, col: 3 }, { insn: 9, line: 12, col: 3 }],
    coreRelos: [],
  };
}

export function basicModel(): BpfObjectModel {
  return {
    sourcePath: "probe.ts",
    sourceText: SOURCE,
    license: "GPL",
    programs: [kprobeProgram(), tracepointProgram()],
    subprograms: [],
    globals: [],
    maps: [
      { name: "seen", type: MAP_TYPE.HASH, key: U32, value: U64, maxEntries: 1024 },
      { name: "counts", type: MAP_TYPE.ARRAY, key: U32, value: U64, maxEntries: 8 },
      { name: "events", type: MAP_TYPE.RINGBUF, maxEntries: 4096 },
    ],
  };
}

/**
 * Local views of kernel structs with deliberately wrong offsets: only CO-RE (field names
 * resolved against /sys/kernel/btf/vmlinux) can produce the right ones.
 */
export const LOCAL_FILE = layoutStruct("file", [
  { name: "f_flags", type: U32 },
  { name: "f_inode", type: { kind: "ptr", to: VOID, space: "kernel" } },
]);
export const LOCAL_PT_REGS = layoutStruct("pt_regs", [{ name: "di", type: U64 }]);

export const CORE_SOURCE = [
  'export const onWrite = kprobe("vfs_write", (file: Ptr<file>) => {',
  "  const inode = file.f_inode;",
  "  return 0;",
  "});",
].join("\n");

/**
 * kprobe: r6 = ctx->di (CO-RE: pt_regs.di, local offset 0);
 * bpf_probe_read_kernel(fp-8, 8, r6 + offsetof(file, f_inode)) (CO-RE on the ALU add,
 * local offset 8); same for f_flags (local offset 0, 4 bytes); return 0.
 */
export function coreModel(): BpfObjectModel {
  const insns: Insn[] = [
    I.ldxDW(R6, R1, 0), //              0  r6 = ctx->di        CO-RE pt_regs 0:0
    I.movReg(R3, R6), //                1
    I.addImm(R3, 8), //                 2  r3 += f_inode       CO-RE file 0:1
    I.movReg(R1, R10), //               3
    I.addImm(R1, -8), //                4
    I.movImm(R2, 8), //                 5
    I.call(113), //                     6  probe_read_kernel
    I.movReg(R3, R6), //                7
    I.addImm(R3, 0), //                 8  r3 += f_flags       CO-RE file 0:0
    I.movReg(R1, R10), //               9
    I.addImm(R1, -16), //              10
    I.movImm(R2, 4), //                11
    I.call(113), //                    12
    I.movImm(R0, 0), //                13
    I.exit(), //                       14
  ];
  return {
    sourcePath: "/tmp/core-probe.ts",
    sourceText: CORE_SOURCE,
    license: "GPL",
    maps: [],
    subprograms: [],
    globals: [],
    programs: [{
      name: "onWrite", point: { kind: "kprobe", fn: "vfs_write" }, insns, relocs: [],
      lines: [{ insn: 0, line: 1, col: 46 }, { insn: 1, line: 2, col: 17 }, { insn: 13, line: 3, col: 3 }],
      coreRelos: [
        { insn: 0, root: LOCAL_PT_REGS, field: "di", kind: 0 },
        { insn: 2, root: LOCAL_FILE, field: "f_inode", kind: 0 },
        { insn: 8, root: LOCAL_FILE, field: "f_flags", kind: 0 },
      ],
    }],
  };
}

/** fentry program (u64 array context), no maps: `return 0`. Not loadable here (EPERM). */
export function fentryModel(): BpfObjectModel {
  return {
    sourcePath: "fentry.ts",
    sourceText: 'export const f = fentry("vfs_write", () => 0);\n',
    license: "Dual BSD/GPL",
    maps: [],
    subprograms: [],
    globals: [],
    programs: [{
      name: "f", point: { kind: "fentry", fn: "vfs_write" },
      insns: [I.movImm(R0, 0), I.exit()], relocs: [], coreRelos: [],
      lines: [{ insn: 0, line: 1, col: 44 }],
    }],
  };
}

/**
 * Local views of kernel enums with placeholder values, except where libbpf checks the
 * local value: only CO-RE (enumerator names resolved against /sys/kernel/btf/vmlinux)
 * gives the kernel's. NR_WRITEBACK_TEMP is gone since Linux 6.15; NR_FILE_PAGES is
 * never referenced; PID_NS_INIT_INO is past 2^31 in an unsigned 4-byte enum;
 * perf_callchain_context is an ENUM64; perf_event_state___x a signed flavour.
 */
export const LOCAL_ENUMS = {
  nodeStat: { kind: "enum", name: "node_stat_item", int: U32, values: [
    { name: "NR_FILE_PAGES", value: 3n }, { name: "NR_SHMEM", value: 1000n }, { name: "NR_WRITEBACK_TEMP", value: 7n },
  ] },
  initNs: { kind: "enum", name: "init_ns_ino", int: U32, values: [{ name: "PID_NS_INIT_INO", value: 0xeffffffcn }] },
  callchain: { kind: "enum", name: "perf_callchain_context", int: U64, values: [{ name: "PERF_CONTEXT_KERNEL", value: 5n }] },
  eventState: { kind: "enum", name: "perf_event_state___x", int: I32, values: [{ name: "PERF_EVENT_STATE_DEAD", value: 0n }] },
} satisfies Record<string, EnumType>;

/** The relocations of coreEnumModel(), each on the ld_imm64 at `insn` (slot 2 * insn). */
export const ENUM_RELOS: CoreRelo[] = [
  { insn: 0, root: LOCAL_ENUMS.nodeStat, field: "NR_SHMEM", kind: CORE_KIND.ENUMVAL_VALUE },
  { insn: 1, root: LOCAL_ENUMS.nodeStat, field: "NR_WRITEBACK_TEMP", kind: CORE_KIND.ENUMVAL_EXISTS },
  { insn: 2, root: LOCAL_ENUMS.initNs, field: "PID_NS_INIT_INO", kind: CORE_KIND.ENUMVAL_VALUE },
  { insn: 3, root: LOCAL_ENUMS.callchain, field: "PERF_CONTEXT_KERNEL", kind: CORE_KIND.ENUMVAL_VALUE },
  { insn: 4, root: LOCAL_ENUMS.eventState, field: "PERF_EVENT_STATE_DEAD", kind: CORE_KIND.ENUMVAL_VALUE },
];

/**
 * kprobe: r1..r5 = the enumerators of ENUM_RELOS, each an ld_imm64 holding what libbpf
 * reads from the local BTF (`held`, by default the local value, an ENUM's 32 bits
 * sign-extended, or 1 for an existence check); return 0.
 */
export function coreEnumModel(held: (r: CoreRelo) => bigint = heldByLibbpf): BpfObjectModel {
  const insns: Insn[] = [...ENUM_RELOS.map((r, i) => I.ld64(1 + i, held(r))), I.movImm(R0, 0), I.exit()];
  return {
    sourcePath: "/tmp/core-enum-probe.ts", sourceText: "export const onRead = kprobe(\"vfs_read\", () => 0);\n", license: "GPL",
    maps: [], subprograms: [], globals: [],
    programs: [{ name: "onRead", point: { kind: "kprobe", fn: "vfs_read" }, insns, relocs: [], lines: [{ insn: 0, line: 1, col: 1 }], coreRelos: ENUM_RELOS }],
  };
}

/** What libbpf reads from the local BTF for a relocation of ENUM_RELOS. */
export function heldByLibbpf(r: CoreRelo): bigint {
  if (r.kind === CORE_KIND.ENUMVAL_EXISTS) return 1n;
  const e = r.root as EnumType;
  const v = e.values.find((x) => x.name === r.field)!.value;
  return BigInt.asUintN(64, e.int.size === 8 ? v : BigInt.asIntN(32, v));
}
