// CO-RE across kernels: one object compiled against this machine's BTF (6.18) reads
// struct file's f_inode->i_ino and f_flags in a kprobe on vfs_read, in guests whose struct
// file is laid out differently. libbpf must move each field access to the guest's offset
// (read from the guest's BTF by bpftool), and the values read must be the ones the
// workload reports for its own file (fstat's st_ino, fcntl F_GETFL). The same way, kernel
// enumerators whose values differ between kernels (node_stat_item, cgroup_subsys_id) read
// as the guest's BTF has them, and enumerators one kernel lacks as missing there.

import { expect } from "vitest";
import { decodeInt, decodeSigned, getMap, lookup } from "../../harness/harness.js";
import { vmlinuxEnumValues, vmlinuxMemberOffsets } from "../../object/tools.js";
import type { GuestCheck } from "../suite.js";
import { field, workloadRun } from "./workload.js";

const PROBE = `import { kprobe, HashMap, pid, type u32, type u64, type Ptr } from "bpftsc";
import type { file } from "./kernel.js";

interface Seen { reads: u64; ino: u64; flags: u32 }
const seen = new HashMap<u32, Seen>(256);

export const onRead = kprobe("vfs_read", (file: Ptr<file>) => {
  const s = seen.get(pid());
  if (s === undefined) seen.set(pid(), { reads: 1, ino: file.f_inode.i_ino, flags: file.f_flags });
  else { s.reads += 1; s.ino = file.f_inode.i_ino; s.flags = file.f_flags; }
});
`;

// NR_WRITEBACK_TEMP is gone since Linux 6.15, NR_IOMMU_PAGES came in 6.11; the placeholder
// values are what the object holds where this machine's kernel lacks one.
const ENUM_PROBE = `import { kprobe, ArrayMap, enumValue, enumExists, type i64 } from "bpftsc";
/** @kernel */
declare enum node_stat_item { NR_SHMEM = 0, NR_VM_NODE_STAT_ITEMS = 0, NR_WRITEBACK_TEMP = 0, NR_IOMMU_PAGES = 0 }
/** @kernel */
declare enum cgroup_subsys_id { CGROUP_SUBSYS_COUNT = 0 }

const out = new ArrayMap<i64>(8);

export const onRead = kprobe("vfs_read", () => {
  out.set(0, enumValue(node_stat_item.NR_SHMEM));
  out.set(1, enumValue(node_stat_item.NR_VM_NODE_STAT_ITEMS));
  out.set(2, enumExists(node_stat_item.NR_WRITEBACK_TEMP) ? enumValue(node_stat_item.NR_WRITEBACK_TEMP) : -1);
  out.set(3, enumExists(node_stat_item.NR_IOMMU_PAGES) ? enumValue(node_stat_item.NR_IOMMU_PAGES) : -1);
  out.set(4, enumValue(cgroup_subsys_id.CGROUP_SUBSYS_COUNT));
});
`;

/** The offsets libbpf patched in, from its log: "struct.member" -> the distinct target
 *  offsets of that field's accesses. */
function relocations(log: string): Map<string, number[]> {
  const fieldOf = new Map<string, string>();
  const out = new Map<string, Set<number>>();
  for (const m of log.matchAll(/prog '(\w+)': relo #(\d+): (?:<byte_off> \[\d+\] struct (\w+)\.(\w+) \(|patched insn #\d+ \(ALU\/ALU64\) imm \d+ -> (\d+))/g)) {
    const relo = `${m[1]}#${m[2]}`;
    if (m[3]) fieldOf.set(relo, `${m[3]}.${m[4]}`);
    else {
      const f = fieldOf.get(relo) ?? `unknown field of relocation ${relo}`;
      out.set(f, (out.get(f) ?? new Set()).add(Number(m[5])));
    }
  }
  return new Map([...out].map(([f, offs]) => [f, [...offs]]));
}

export const coreChecks: GuestCheck[] = [
  {
    title: "an object built against this machine's BTF reads struct file fields at the guest's offsets (CO-RE)",
    prepare(ctx) {
      const object = ctx.compile("core-file", PROBE, "host");
      const result = ctx.load("core-file", object, { attach: true, verbose: true, command: [ctx.workload, "read", "3", "64"] });
      return (run) => {
        const r = result(run);
        const w = workloadRun(r);
        const host = vmlinuxMemberOffsets("file");
        const file = vmlinuxMemberOffsets("file", ctx.kernel.btf);
        const inode = vmlinuxMemberOffsets("inode", ctx.kernel.btf);
        // The layouts differ, so the relocations are exercised.
        expect(["f_inode", "f_flags"].some((f) => host.get(f) !== file.get(f))).toBe(true);
        expect(relocations(r.stderr)).toEqual(new Map([
          ["file.f_inode", [file.get("f_inode")]], ["inode.i_ino", [inode.get("i_ino")]], ["file.f_flags", [file.get("f_flags")]],
        ]));
        const e = (getMap(r, "seen").entries ?? []).find((x) => decodeInt(x.key, "u32") === BigInt(w.pid));
        expect(e, `no entry for the workload's pid ${w.pid}`).toBeDefined();
        expect({ reads: decodeInt(e!.value!, "u64", 0), ino: decodeInt(e!.value!, "u64", 8), flags: decodeInt(e!.value!, "u32", 16) })
          .toEqual({ reads: 3n, ino: BigInt(field(w, "ino")), flags: BigInt(field(w, "flags")) });
      };
    },
  },
  {
    title: "an object built against this machine's BTF reads kernel enumerators as the guest has them (CO-RE enumValue, enumExists)",
    prepare(ctx) {
      const object = ctx.compile("core-enums", ENUM_PROBE, "host");
      const result = ctx.load("core-enums", object, { attach: true, command: [ctx.workload, "read", "1", "8"] });
      return (run) => {
        const out = getMap(result(run), "out");
        const got = [0, 1, 2, 3, 4].map((k) => decodeSigned(lookup(out, k)!));
        const guest = { stat: vmlinuxEnumValues("node_stat_item", ctx.kernel.btf), cgroup: vmlinuxEnumValues("cgroup_subsys_id", ctx.kernel.btf) };
        const host = vmlinuxEnumValues("node_stat_item");
        // The kernels differ here, so the relocations are exercised.
        expect(host.get("NR_VM_NODE_STAT_ITEMS")).not.toBe(guest.stat.get("NR_VM_NODE_STAT_ITEMS"));
        const orMissing = (v: bigint | undefined) => v ?? -1n;
        expect(got).toEqual([
          guest.stat.get("NR_SHMEM"), guest.stat.get("NR_VM_NODE_STAT_ITEMS"),
          orMissing(guest.stat.get("NR_WRITEBACK_TEMP")), orMissing(guest.stat.get("NR_IOMMU_PAGES")),
          guest.cgroup.get("CGROUP_SUBSYS_COUNT"),
        ]);
      };
    },
  },
];

