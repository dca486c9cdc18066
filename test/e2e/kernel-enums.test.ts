// Kernel enums through CO-RE: enumValue(E.NAME) and enumExists(E.NAME) on enums from
// `bpftsc types` (imported as values) and declared in the probe (flavours of enums and
// enumerators, a const enum), plain E.NAME constants and an enum-typed local, run in a
// uprobe on targets/args. The values read back from the map are the kernel's, as bpftool
// prints them from /sys/kernel/btf/vmlinux; loaded against another kernel's BTF
// (btf_custom_path) the same object reads that kernel's where it asks with enumValue().
// llvm-objdump and bpftool read the relocations and the local enums.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { compile } from "../../compiler/index.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { BtfBlobBuilder } from "../debuginfo/btf-builder.js";
import { buildTargetFile, decodeSigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { runOk, vmlinuxEnumValues } from "../object/tools.js";
import { OUT_DIR, compileProbe } from "./compile-helper.js";

const probe = (target: string) => `import { uprobe, ArrayMap, enumValue, enumExists, type i64 } from "bpftsc";
import { node_stat_item, init_ns_ino, perf_callchain_context, perf_event_state } from "./kernel.js";

/** @kernel */
declare enum cgroup_subsys_id___x { memory_cgrp_id___new = 1000, no_such_cgrp_id = 5 }
/** @kernel node_stat_item___old */
declare const enum stat_old { NR_WRITEBACK_TEMP = 22 }

const out = new ArrayMap<i64>(16);
const ITEMS = node_stat_item.NR_VM_NODE_STAT_ITEMS;   // a compile-time constant: this kernel's value

export const probe = uprobe(${JSON.stringify(target)}, "tick", () => {
  out.set(0, enumValue(node_stat_item.NR_SHMEM));
  out.set(1, enumExists(node_stat_item.NR_SHMEM) ? 1 : 0);
  out.set(2, enumExists(stat_old.NR_WRITEBACK_TEMP) ? 1 : 0);
  out.set(3, enumExists(stat_old.NR_WRITEBACK_TEMP) ? enumValue(stat_old.NR_WRITEBACK_TEMP) : -1);
  out.set(4, enumValue(init_ns_ino.PID_NS_INIT_INO));
  out.set(5, enumValue(init_ns_ino.PID_NS_INIT_INO) > 0x7fffffff ? 1 : 0);
  out.set(6, enumValue(perf_callchain_context.PERF_CONTEXT_KERNEL));
  out.set(7, enumValue(perf_event_state.PERF_EVENT_STATE_DEAD));
  out.set(8, enumValue(cgroup_subsys_id___x.memory_cgrp_id___new));
  out.set(9, enumExists(cgroup_subsys_id___x.no_such_cgrp_id) ? 1 : 0);
  out.set(10, node_stat_item.NR_SHMEM);
  const shmem: node_stat_item = enumValue(node_stat_item.NR_SHMEM);
  switch (shmem) {
    case node_stat_item.NR_SHMEM: out.set(11, 1); break;
    default: out.set(11, 2);
  }
  out.set(12, ITEMS);
});
`;

function readOut(object: string, target: string, btfCustom?: string): Record<number, bigint> {
  const r = runLoader(object, { attach: true, command: [target], btfCustom });
  const map = getMap(r, "out");
  return Object.fromEntries([...Array(13).keys()].map((k) => [k, decodeSigned(lookup(map, k)!)]));
}

describe("kernel enums through CO-RE", () => {
  const target = buildTargetFile("args");
  const dir = path.join(OUT_DIR, "kernel-enums");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.d.ts"),
    kernelTypesToTs(loadKernelBtf(), ["node_stat_item", "init_ns_ino", "perf_callchain_context", "perf_event_state"]).text);
  const { object } = compileProbe("kernel-enums", probe(target), { dir });
  const nodeStat = vmlinuxEnumValues("node_stat_item");
  const initNs = vmlinuxEnumValues("init_ns_ino");

  it("reads this kernel's values, 0 for an enumerator it lacks (the guarded use loads), unsigned values past 2^31 as such", () => {
    expect(nodeStat.has("NR_WRITEBACK_TEMP")).toBe(false);
    expect(initNs.get("PID_NS_INIT_INO")!).toBeGreaterThan(0x7fffffffn);
    expect(readOut(object, target)).toEqual({
      0: nodeStat.get("NR_SHMEM"), 1: 1n, 2: 0n, 3: -1n,
      4: initNs.get("PID_NS_INIT_INO"), 5: 1n,
      6: BigInt.asIntN(64, vmlinuxEnumValues("perf_callchain_context").get("PERF_CONTEXT_KERNEL")!),
      7: vmlinuxEnumValues("perf_event_state").get("PERF_EVENT_STATE_DEAD"),
      8: vmlinuxEnumValues("cgroup_subsys_id").get("memory_cgrp_id"), 9: 0n,
      // A plain E.NAME and an annotation of enum type.
      10: nodeStat.get("NR_SHMEM"), 11: 1n, 12: nodeStat.get("NR_VM_NODE_STAT_ITEMS"),
    });
  });

  it("reads the loading kernel's values: the same object against another kernel's BTF", () => {
    const b = new BtfBlobBuilder();
    b.enum("node_stat_item", 4, [["NR_SHMEM", 77], ["NR_WRITEBACK_TEMP", 9]]);
    b.enum("init_ns_ino", 4, [["PID_NS_INIT_INO", 0x7000_0001]]);
    b.enum64("perf_callchain_context", 8, [["PERF_CONTEXT_KERNEL", 2n ** 40n]]);
    b.enum("perf_event_state", 4, [["PERF_EVENT_STATE_DEAD", -9]], true);
    b.enum("cgroup_subsys_id", 4, [["memory_cgrp_id", 2], ["no_such_cgrp_id", 6]]);
    const custom = path.join(dir, "other-kernel.btf");
    fs.writeFileSync(custom, b.build());
    expect(readOut(object, target, custom)).toEqual({
      0: 77n, 1: 1n, 2: 1n, 3: 9n, 4: 0x7000_0001n, 5: 0n, 6: 2n ** 40n, 7: -9n, 8: 2n, 9: 1n,
      // Compiled in: this kernel's.
      10: nodeStat.get("NR_SHMEM"), 11: 2n, 12: nodeStat.get("NR_VM_NODE_STAT_ITEMS"),
    });
  });

  it("the relocations name each enum and enumerator; the local enums hold this kernel's values, else the declared ones", () => {
    const relos = [...runOk("llvm-objdump-19", ["-dr", object]).stdout.matchAll(/CO-RE <(enumval_\w+)> \[\d+\] enum (\w+)::(\w+) = (-?\d+)/g)]
      .map((m) => `${m[1]} ${m[2]}::${m[3]} = ${m[4]}`);
    expect(new Set(relos)).toEqual(new Set([
      `enumval_value node_stat_item::NR_SHMEM = ${nodeStat.get("NR_SHMEM")}`,
      `enumval_exists node_stat_item::NR_SHMEM = ${nodeStat.get("NR_SHMEM")}`,
      "enumval_exists node_stat_item___old::NR_WRITEBACK_TEMP = 22",
      "enumval_value node_stat_item___old::NR_WRITEBACK_TEMP = 22",
      // An ENUM's value as libbpf and llvm-objdump read it: 32 bits, sign-extended.
      `enumval_value init_ns_ino::PID_NS_INIT_INO = ${BigInt.asUintN(64, BigInt.asIntN(32, initNs.get("PID_NS_INIT_INO")!))}`,
      `enumval_value perf_callchain_context::PERF_CONTEXT_KERNEL = ${vmlinuxEnumValues("perf_callchain_context").get("PERF_CONTEXT_KERNEL")}`,
      `enumval_value perf_event_state::PERF_EVENT_STATE_DEAD = ${vmlinuxEnumValues("perf_event_state").get("PERF_EVENT_STATE_DEAD")}`,
      `enumval_value cgroup_subsys_id___x::memory_cgrp_id___new = ${vmlinuxEnumValues("cgroup_subsys_id").get("memory_cgrp_id")}`,
      "enumval_exists cgroup_subsys_id___x::no_such_cgrp_id = 5",
    ]));
    const btf = runOk("bpftool", ["btf", "dump", "file", object]).stdout;
    expect(btf).toMatch(/\] ENUM 'node_stat_item' encoding=UNSIGNED size=4 vlen=1\n\t'NR_SHMEM' val=\d+\n/);
    expect(btf).toMatch(/\] ENUM64 'perf_callchain_context' encoding=UNSIGNED size=8 vlen=1\n/);
    expect(btf).toMatch(/\] ENUM 'perf_event_state' encoding=SIGNED size=4 vlen=1\n/);
    expect(btf).toMatch(/\] ENUM 'cgroup_subsys_id___x' encoding=UNSIGNED size=4 vlen=2\n\t'memory_cgrp_id___new' val=\d+\n\t'no_such_cgrp_id' val=5\n/);
  });

  it("a value imported from a file beside the probe must be a kernel enum", () => {
    fs.writeFileSync(path.join(dir, "lib.d.ts"), "export declare function helper(): number;\nexport declare enum plain { A = 1 }\n");
    const file = path.join(dir, "import-value.ts");
    const importing = (names: string) => `import { kprobe } from "bpftsc";\nimport { ${names} } from "./lib.js";\n\nexport const p = kprobe("vfs_read", () => 0);\n`;
    for (const names of ["helper", "plain"]) {
      const r = compile({ fileName: file, source: importing(names) });
      expect(r.diagnostics.map((d) => [d.code, d.line, d.col]), names).toEqual([[2002, 2, 1]]);
    }
  });
});
