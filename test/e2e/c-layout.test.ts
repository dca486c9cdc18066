// Struct, union and bitfield layouts (types/ctype.ts) against gcc on this machine: each
// case is written as a C struct or union with the same members, compiled with gcc and run;
// the program prints sizeof, _Alignof, each ordinary member's offsetof and, for each
// bitfield, the bytes of a zeroed object with only that field set to all ones (so the
// bits gcc gives it). The compiler's layout must say the same.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildTarget } from "../harness/harness.js";
import {
  BOOL, I16, I32, I64, I8, U16, U32, U64, U8, alignOf, layoutStruct, layoutUnion, sizeOf,
  type CType, type MemberSpec, type StructType,
} from "../../compiler/types/ctype.js";

const C_NAMES: Record<string, string> = {
  u8: "unsigned char", u16: "unsigned short", u32: "unsigned int", u64: "unsigned long",
  i8: "signed char", i16: "short", i32: "int", i64: "long", bool: "_Bool",
};

const arr = (elem: CType, length: number): CType => ({ kind: "array", elem, length });
const m = (name: string, type: CType, width?: number): MemberSpec => ({ name, type, width });
const s = (...members: MemberSpec[]) => layoutStruct("", members);
const u = (...members: MemberSpec[]) => layoutUnion("", members);

const CASES: StructType[] = [
  // The probe test's struct: a signed field, a u8 unit, a 40-bit field that would straddle.
  s(m("a", U32, 3), m("b", I32, 5), m("c", U8, 1), m("d", U16), m("e", U64, 40), m("u", u(m("x", U32), m("y", U16)))),
  s(m("a", U8, 7), m("b", U8, 2)),                 // b would straddle a byte: next byte
  s(m("a", U32, 30), m("b", U32, 4)),              // next u32
  s(m("x", U8), m("a", U32, 24)),                   // fits in the u32 at 0, after x
  s(m("x", U8), m("a", U32, 25)),                   // 8 + 25 > 32: the u32 at 4
  s(m("a", U64, 1), m("b", U8)),                    // b right after the byte in use
  s(m("a", U16, 9), m("b", U32, 20), m("c", U8)),   // mixed units sharing bytes
  s(m("a", I64, 63), m("b", I64, 2)),
  s(m("f", BOOL, 1), m("g", U8, 7), m("h", U16)),
  s(m("full", U32, 32), m("one", U32, 1)),
  s(m("a", U8, 4), m("b", U64, 60)),                // fits: 64 bits exactly
  s(m("a", U8, 4), m("b", U64, 61)),                // 65 bits: the next u64
  s(m("x", U8), m("a", U8, 1), m("b", U16, 15)),    // b would straddle its u16
  s(m("a", I8, 3), m("b", I16, 11), m("c", U64, 3), m("d", U32)),
  s(m("c", U8), m("u", u(m("x", U32), m("y", U16))), m("t", U8)),
  s(m("a", U32, 3)),                                // a bitfield alone: size of its unit
  u(m("a", U32, 3), m("b", U8)),
  u(m("w", U64), m("b", arr(U8, 3)), m("h", U16)),
  u(m("b", arr(U8, 5)), m("h", U16)),               // 5 bytes rounded to the u16's 2
  u(m("s", s(m("x", U8), m("y", U32))), m("q", U16, 9)),
];

/** The C declaration of a member `name` of type t (nested anonymous types inline). */
function cDecl(t: CType, name: string, width?: number): string {
  switch (t.kind) {
    case "int": return `${C_NAMES[t.name]} ${name}${width !== undefined ? ` : ${width}` : ""};`;
    case "array": return `${C_NAMES[(t.elem as { name: string }).name]} ${name}[${t.length}];`;
    case "struct": return `${cBody(t)} ${name};`;
    default: throw new Error(`no C spelling for ${t.kind}`);
  }
}

function cBody(t: StructType): string {
  return `${t.union ? "union" : "struct"} { ${t.fields.map((f) => cDecl(f.type, f.name, f.bitfield?.width)).join(" ")} }`;
}

function cProgram(): string {
  const lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <string.h>", "volatile long ones = -1;", "int main(void) {"];
  CASES.forEach((t, i) => {
    lines.push(`  { typedef ${cBody(t)} T; T v; (void)v;`);
    lines.push(`    printf("case ${i} size %zu align %zu\\n", sizeof(T), _Alignof(T));`);
    for (const f of t.fields) {
      if (!f.bitfield) {
        lines.push(`    printf("member ${f.name} %zu\\n", offsetof(T, ${f.name}));`);
        continue;
      }
      lines.push(`    memset(&v, 0, sizeof v); v.${f.name} = ones;`);
      lines.push(`    printf("bits ${f.name}"); for (size_t k = 0; k < sizeof v; k++) printf(" %02x", ((unsigned char *)&v)[k]); printf("\\n");`);
    }
    lines.push("  }");
  });
  lines.push("  return 0;", "}");
  return lines.join("\n");
}

/** What the compiler's layout says, in the C program's output format. */
function expected(t: StructType, i: number): string[] {
  const out = [`case ${i} size ${sizeOf(t)} align ${alignOf(t)}`];
  for (const f of t.fields) {
    if (!f.bitfield) { out.push(`member ${f.name} ${f.offset}`); continue; }
    const bytes = new Uint8Array(sizeOf(t));
    for (let b = 0; b < f.bitfield.width; b++) {
      const at = f.offset * 8 + f.bitfield.bit + b;
      bytes[at >> 3]! |= 1 << (at & 7);
    }
    out.push(`bits ${f.name} ${[...bytes].map((x) => x.toString(16).padStart(2, "0")).join(" ")}`);
  }
  return out;
}

describe("struct, union and bitfield layout against gcc", () => {
  const bin = buildTarget("c_layout", cProgram());
  const run = spawnSync(bin, { encoding: "utf8" });
  const got = run.stdout.trim().split("\n");

  it("the C program ran", () => expect(run.status).toBe(0));

  CASES.forEach((t, i) => {
    it(`case ${i}: ${cBody(t)}`, () => {
      const start = got.indexOf(got.find((l) => l.startsWith(`case ${i} `))!);
      expect(got.slice(start, start + 1 + t.fields.length)).toEqual(expected(t, i));
    });
  });
});
