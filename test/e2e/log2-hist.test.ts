// Log2Hist at run time: observe(v) counts each value in bpftrace's hist() bucket (slot 0
// negative, 1 zero, k + 2 for [2^k, 2^(k+1))), for signed and unsigned values up to the
// extremes of 64 bits; the map is a 66-slot array carrying the decl tag "bpftsc:log2hist".

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildTarget, getMap, intEntries, runLoader } from "../harness/harness.js";
import { compileProbe } from "./compile-helper.js";

const VALUES = [-9223372036854775808n, -5n, -1n, 0n, 0n, 1n, 2n, 3n, 4n, 7n, 8n, 1023n, 1024n, 1n << 40n, (1n << 62n) + 5n, 9223372036854775807n];

const TARGET = `#define PROBED __attribute__((noinline, noipa, used))
volatile long sink;
PROBED void observe(long v) { sink += v; }
int main(void) {
${VALUES.map((v) => `  observe(${v === -9223372036854775808n ? "-9223372036854775807L - 1" : `${v}L`});`).join("\n")}
  return 0;
}
`;

/** bpftrace's bucket of a 64-bit value read as signed or unsigned. */
function bucket(v: bigint, signed: boolean): number {
  const x = signed ? v : BigInt.asUintN(64, v);
  if (x < 0n) return 0;
  if (x === 0n) return 1;
  return x.toString(2).length + 1;
}

function expected(signed: boolean): Map<bigint, bigint> {
  const counts = new Map<bigint, bigint>(Array.from({ length: 66 }, (_, i) => [BigInt(i), 0n]));
  for (const v of VALUES) {
    const b = BigInt(bucket(v, signed));
    counts.set(b, counts.get(b)! + 1n);
  }
  return counts;
}

describe("Log2Hist", () => {
  const target = buildTarget("log2-hist", TARGET);
  const { object, listing } = compileProbe("log2-hist", `import { uprobe, Log2Hist, type i64, type u64 } from "bpftsc";
const signed = new Log2Hist();
const unsigned = new Log2Hist();
export const onObserve = uprobe(${JSON.stringify(target)}, "observe", (v: i64) => {
  signed.observe(v);
  unsigned.observe(v as u64);
});
`);
  const result = runLoader(object, { attach: true, command: [target] });

  it("counts signed values in bpftrace's buckets, negative ones in slot 0", () => {
    expect(result.command?.exit_code).toBe(0);
    expect(intEntries(getMap(result, "signed"), "u64", "u32")).toEqual(expected(true));
  });

  it("counts unsigned values up to 2^64 - 1 (slot 65)", () => {
    const got = intEntries(getMap(result, "unsigned"), "u64", "u32");
    expect(got).toEqual(expected(false));
    expect(got.get(65n)).toBe(3n); // -2^63, -5 and -1 read as u64
  });

  it("is a 66-slot array of u64 tagged bpftsc:log2hist in BTF; an unsigned value skips the sign test", () => {
    const m = getMap(result, "signed");
    expect([m.max_entries, m.key_size, m.value_size]).toEqual([66, 4, 8]);
    const dump = spawnSync("bpftool", ["btf", "dump", "file", object], { encoding: "utf8" }).stdout;
    expect(dump).toMatch(/\[(\d+)\] VAR 'signed'[^\n]*\n\[\d+\] DECL_TAG 'bpftsc:log2hist' type_id=\1 component_idx=-1/);
    expect(dump).toMatch(/\[(\d+)\] VAR 'unsigned'[^\n]*\n\[\d+\] DECL_TAG 'bpftsc:log2hist' type_id=\1 component_idx=-1/);
    expect(listing.match(/s< 0 goto/g)?.length).toBe(1);
  });
});
