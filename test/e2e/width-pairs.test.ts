// Every pair of a probed variable's C type and the parameter's declared type, at run time:
// a uprobe fetches the 8 arguments of pairs(int8_t, int16_t, int32_t, int64_t, uint8_t,
// uint16_t, uint32_t, uint64_t) — the 7th and 8th from the stack — declared as each of
// u8..u64 and i8..i64, through the register path (4 parameters) and the stack struct
// (all 8). A declared type narrower than the C type keeps the low bytes; a wider one holds
// the C value (extended by the C type's signedness) narrowed to the declared type: the
// fetched value is always the C value truncated to the declared type.

import { describe, expect, it } from "vitest";
import { buildTarget, decodeUnsigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { compileProbe } from "./compile-helper.js";

const C_TYPES = ["int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t"];
const NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"];
const DECLARED = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"] as const;
/** Two calls: values with the sign bit set, and small positive ones. */
const VALUES: bigint[][] = [
  [-5n, -1234n, -123456789n, -1234567890123n, 250n, 65000n, 4000000000n, 0xfedcba9876543210n],
  [5n, 1234n, 123456789n, 1234567890123n, 7n, 300n, 70000n, 0x1234n],
];

const TARGET_C = `#include <stdint.h>
#include <string.h>
#define PROBED __attribute__((noinline, noipa, used))
volatile uint64_t sink;
PROBED void pairs(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h)
{
  sink += (uint64_t)a + b + c + d + e + f + g + h;
}
int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "negative") == 0)
    pairs(${VALUES[0].map((v, i) => `(${C_TYPES[i]})${v < 0n ? v : `${v}ULL`}`).join(", ")});
  else
    pairs(${VALUES[1].map((v, i) => `(${C_TYPES[i]})${v}ULL`).join(", ")});
  return 0;
}
`;

function truncate(v: bigint, t: string): bigint {
  const bits = Number(t.slice(1));
  return t.startsWith("i") ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** Programs: per declared type, one reading all 8 (stack struct), two reading 4 (registers). */
const GROUPS = [NAMES, NAMES.slice(0, 4), NAMES.slice(4)];

function source(target: string): string {
  const programs = DECLARED.flatMap((t, ti) => GROUPS.map((names, gi) => {
    const base = (ti * GROUPS.length + gi) * 8;
    return `export const p_${t}_${gi} = uprobe(BIN, "pairs", (${names.map((n) => `${n}: ${t}`).join(", ")}) => {
${names.map((n) => `  out.set(${base + NAMES.indexOf(n)}, ${n});`).join("\n")}
});`;
  }));
  return `import { uprobe, ArrayMap, type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64 } from "bpftsc";
const BIN = ${JSON.stringify(target)};
const out = new ArrayMap<u64>(${DECLARED.length * GROUPS.length * 8});
${programs.join("\n")}
`;
}

describe("every C type declared as every integer type", () => {
  const target = buildTarget("width-pairs", TARGET_C);
  const { object } = compileProbe("width-pairs", source(target));
  for (const [call, arg] of [[0, "negative"], [1, "positive"]] as const) {
    describe(`${arg} values`, () => {
      const out = getMap(runLoader(object, { attach: true, command: [target, arg] }), "out");
      for (const [ti, t] of DECLARED.entries()) {
        it(`declared ${t}`, () => {
          for (const [gi, names] of GROUPS.entries()) {
            const got = names.map((n) => decodeUnsigned(lookup(out, (ti * GROUPS.length + gi) * 8 + NAMES.indexOf(n))!));
            const want = names.map((n) => BigInt.asUintN(64, truncate(VALUES[call][NAMES.indexOf(n)], t)));
            expect(got, `${names.map((n) => `${C_TYPES[NAMES.indexOf(n)]} ${n}`).join(", ")} as ${t}`).toEqual(want);
          }
        });
      }
    });
  }
});
