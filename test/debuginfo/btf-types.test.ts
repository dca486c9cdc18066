// `bpftsc types` (cli/types.ts, ts-decls.ts): the declarations it writes typecheck with the
// repo's tsc against runtime-types/index.d.ts, a probe using Ptr<file> and
// file.f_inode.i_ino typechecks, misspelled fields and fields beyond --depth do not;
// enum members typecheck under isolatedModules, misspelled ones do not; reserved and
// duplicate names, omitted members, opaque structs and enums on a hand-built BTF;
// the command's usage and exit statuses.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kernelBtfFromBytes } from "../../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { typesMain } from "../../cli/types.js";
import { BtfBlobBuilder } from "./btf-builder.js";

const REPO = resolve(import.meta.dirname, "../..");
const TSC = join(REPO, "node_modules/typescript/bin/tsc");

function fixtureBlob(): Uint8Array {
  const b = new BtfBlobBuilder();
  const int = b.int("int", 4, 1);
  const uint = b.int("unsigned int", 4);
  const char = b.int("char", 1);
  const dbl = b.float("double", 8);
  const cls = b.declare();
  const ptrStruct = b.declare();
  const ptrCls = b.ptr(cls);
  const anon = b.struct("", 8, [["x", int, 0], ["y", int, 32]]);
  const inner = b.union("", 4, [["u", uint, 0], ["i", int, 0]]);
  const far = b.struct("far", 4, [["v", int, 0]]);
  const mid = b.struct("mid", 8, [["far", b.ptr(far), 0]]);
  const name = b.array(char, int, 8);
  const pMid = b.ptr(mid), pPtr = b.ptr(ptrStruct);
  b.struct("class", 64, [
    ["next", ptrCls, 0], ["flags", uint, 64, 3], ["mode", uint, 67, 5], ["ratio", dbl, 128],
    ["pos", anon, 192], ["", inner, 256], ["name", name, 288], ["mid", pMid, 384], ["ptr", pPtr, 448],
  ], cls);
  b.struct("Ptr", 4, [["p", int, 0]], ptrStruct);
  b.struct("dup", 4, [["a", int, 0]]);
  const dup2 = b.struct("dup", 8, [["a", int, 0], ["b", int, 32]]);
  b.struct("holder", 16, [["d", b.ptr(dup2 - 1), 0], ["d2", b.ptr(dup2), 64]]);
  b.struct("tagged", 8, [["kind", int, 0], ["v", b.union("", 4, [["a", int, 0], ["b", uint, 0]]), 32]]);
  // Enums: unsigned with a value past 2^31, signed, 64-bit past 2^53, one named like a
  // struct, an anonymous one; members typed by them directly and through a typedef.
  const mode = b.enum("mode_kind", 4, [["MK_IDLE", 0], ["MK_LAST", 0xefffffff]]);
  b.enum("sgn", 4, [["S_DEAD", -4], ["S_ON", 1]], true);
  b.enum64("big", 8, [["B_TOP", 2n ** 64n - 32n], ["B_ONE", 1n]]);
  const dupEnum = b.enum("dup", 1, [["D_X", 7]]);
  const anonEnum = b.enum("", 4, [["ANON_A", 1]]);
  b.struct("with_enum", 16, [["mode", mode, 0], ["m2", b.typedef("mode_t", mode), 32], ["anon", anonEnum, 64], ["d", dupEnum, 96]]);
  return b.build();
}

function capture(fn: () => number): { rc: number; out: string; err: string } {
  let out = "", err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => { err += String(s); return true; });
  try {
    return { rc: fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "bpftsc-types-")); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe("ts-decls on a hand-built BTF", () => {
  const k = kernelBtfFromBytes(fixtureBlob(), "fixture.btf");

  it("renames reserved and imported names, keeps duplicates apart, comments omitted members", () => {
    const r = kernelTypesToTs(k, ["class", "holder"], { depth: 1 });
    expect(r.unknown).toEqual([]);
    const t = r.text;
    expect(t).toContain('import type { u32, i32, Ptr, Chars } from "bpftsc";');
    expect(t).toContain("export interface class_ {");
    expect(t).toContain("  next: Ptr<class_>;");
    expect(t).toContain("  ptr: Ptr<Ptr_>;");
    expect(t).toMatch(/\/\/ flags: omitted, bitfield of 3 bits at bit 64\n/);
    expect(t).toMatch(/\/\/ mode: omitted, bitfield of 5 bits at bit 67\n/);
    expect(t).toMatch(/\/\/ ratio: omitted, floating point\n/);
    expect(t).toContain("  pos: {\n    x: i32;\n    y: i32;\n  };");
    expect(t).toContain("  u: u32;\n  i: i32;\n");           // anonymous union flattened
    expect(t).toContain("  name: Chars<8>;");
    // Depth 1: mid is expanded, far (two hops) is declared empty.
    expect(t).toContain("export interface mid {\n  far: Ptr<far>;\n}");
    expect(t).toContain("export interface far {}");
    expect(r.opaque).toEqual(["far"]);
    // Two structs named dup: the fuller one keeps the name.
    expect(t).toMatch(/d: Ptr<dup__\d+>;/);
    expect(t).toContain("  d2: Ptr<dup>;");
  });

  it("writes a named member of an anonymous union type as Union<{ ... }>", () => {
    const t = kernelTypesToTs(k, ["tagged"]).text;
    expect(t).toContain('import type { u32, i32, Union } from "bpftsc";');
    expect(t).toContain("  v: Union<{\n    a: i32;\n    b: u32;\n  }>;");
  });

  it("declares named enums and the enums of members as kernel enums with this kernel's values", () => {
    const r = kernelTypesToTs(k, ["with_enum", "sgn", "big", "enum mode_kind"]);
    expect(r.unknown).toEqual([]);
    const t = r.text;
    // The member types are the enums (a typedef of one too); an anonymous enum stays an integer.
    expect(t).toContain("export interface with_enum {\n  mode: mode_kind;\n  m2: mode_kind;\n  anon: u32;\n  d: dup;\n}");
    expect(t).toContain("/** enum mode_kind: 4 bytes, unsigned\n * @kernel mode_kind */\nexport declare enum mode_kind {\n  MK_IDLE = 0,\n  MK_LAST = 4026531839,\n}");
    expect(t).toContain("/** enum sgn: 4 bytes, signed\n * @kernel sgn */\nexport declare enum sgn {\n  S_DEAD = -4,\n  S_ON = 1,\n}");
    expect(t).toContain("export declare enum big {\n  B_TOP = 18446744073709551584, // beyond 2^53: TypeScript rounds it\n  B_ONE = 1,\n}");
    expect(t).toContain("/** enum dup: 1 bytes, unsigned\n * @kernel dup */\nexport declare enum dup {");
    expect(r.enums).toEqual(["sgn", "big", "mode_kind", "dup"]);   // the named ones first
    // A struct and an enum of one name: the second to be named gets a suffix.
    expect(kernelTypesToTs(k, ["dup", "with_enum"]).text).toContain("  d: dup_;");
  });

  it("reports unknown names", () => {
    expect(kernelTypesToTs(k, ["nope", "class"]).unknown).toEqual(["nope"]);
  });

  it("writes the same text for the same input", () => {
    expect(kernelTypesToTs(k, ["class"]).text).toBe(kernelTypesToTs(k, ["class"]).text);
  });
});

describe("bpftsc types command", () => {
  it("prints usage and exits 2 without type names or with bad options", () => {
    const none = capture(() => typesMain([]));
    expect(none.rc).toBe(2);
    expect(none.err).toContain("Usage: bpftsc types");
    expect(capture(() => typesMain(["--depth", "x", "file"])).rc).toBe(2);
    expect(capture(() => typesMain(["--bogus", "file"])).rc).toBe(2);
    expect(capture(() => typesMain(["-o"])).rc).toBe(2);
    const help = capture(() => typesMain(["--help"]));
    expect(help.rc).toBe(0);
    expect(help.out).toContain("--depth");
  });

  it("exits 1 for an unreadable BTF file or an unknown type", () => {
    const missing = capture(() => typesMain(["--btf", join(dir, "missing.btf"), "file"]));
    expect(missing.rc).toBe(1);
    expect(missing.err).toContain("ENOENT");
    const btf = join(dir, "fixture.btf");
    writeFileSync(btf, fixtureBlob());
    const unknown = capture(() => typesMain(["--btf", btf, "nope"]));
    expect(unknown.rc).toBe(1);
    expect(unknown.err).toContain("no struct, union, typedef or enum named 'nope'");
    expect(existsSync(join(dir, "nope.d.ts"))).toBe(false);
  });

  it("writes to stdout or to -o", () => {
    const btf = join(dir, "fixture.btf");
    writeFileSync(btf, fixtureBlob());
    const toStdout = capture(() => typesMain(["--btf", btf, "holder"]));
    expect(toStdout.rc).toBe(0);
    expect(toStdout.out).toContain("export interface holder {");
    const out = join(dir, "fixture.d.ts");
    const toFile = capture(() => typesMain(["--btf", btf, "-o", out, "--depth", "1", "class", "holder"]));
    expect(toFile.rc).toBe(0);
    expect(toFile.out).toBe("");
    expect(readFileSync(out, "utf8")).toContain("export interface class_ {");
  });
});

describe("declarations of kernel structs typecheck with tsc", () => {
  it("accepts a probe using Ptr<file>, file.f_inode.i_ino and a kernel enum's member, rejects bad fields and members", () => {
    // Declarations: the kernel's `file` at the default depth and at depth 0, and the
    // hand-built fixture (reserved names, inline literals, omitted members).
    expect(capture(() => typesMain(["-o", join(dir, "vmlinux.d.ts"), "file", "task_struct", "node_stat_item"])).rc).toBe(0);
    expect(capture(() => typesMain(["--depth", "0", "-o", join(dir, "shallow.d.ts"), "file"])).rc).toBe(0);
    const btf = join(dir, "fixture.btf");
    writeFileSync(btf, fixtureBlob());
    expect(capture(() => typesMain(["--btf", btf, "-o", join(dir, "fixture.d.ts"), "class", "holder"])).rc).toBe(0);

    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        // isolatedModules and verbatimModuleSyntax (common settings) refuse ambient const
        // enums, so kernel enums are declared as plain ones.
        strict: true, noEmit: true, noUnusedLocals: true, skipLibCheck: false, target: "ES2022", isolatedModules: true, verbatimModuleSyntax: true,
        module: "ESNext", moduleResolution: "Bundler", types: [],
        paths: { bpftsc: [join(REPO, "runtime-types/index.d.ts")] },
      },
      include: ["*.ts"],
    }));
    writeFileSync(join(dir, "good.ts"), [
      'import { kprobe, type u64, type u32, type Ptr } from "bpftsc";',
      'import { type file, type task_struct, node_stat_item } from "./vmlinux";',
      'import type { class_ } from "./fixture";',
      "",
      "const shmem: number = node_stat_item.NR_SHMEM;",
      "export const onWrite = kprobe(\"vfs_write\", (f: Ptr<file>, count: u64) => {",
      "  const ino: u64 = f.f_inode.i_ino;",
      "  const flags: u32 = f.f_flags;",
      "  const sb: u64 = f.f_inode.i_sb.s_magic;",
      "  return ino + flags + sb > count + shmem ? 1 : 0;",
      "});",
      "export function comm(t: Ptr<task_struct>): u32 { return t.real_parent.pid; }",
      "export function fixture(c: Ptr<class_>): number { return c.next.pos.x + c.u + c.mid.far.v; }",
      "",
    ].join("\n"));
    writeFileSync(join(dir, "bad_field.ts"), [
      'import type { Ptr } from "bpftsc";',
      'import type { file } from "./vmlinux";',
      "export function f(p: Ptr<file>): number { return p.f_inode.i_nope; }",
      "",
    ].join("\n"));
    writeFileSync(join(dir, "bad_enum.ts"), [
      'import { node_stat_item } from "./vmlinux";',
      "",
      "export const n: number = node_stat_item.NR_NOPE;",
      "",
    ].join("\n"));
    writeFileSync(join(dir, "bad_depth.ts"), [
      'import type { Ptr } from "bpftsc";',
      'import type { file } from "./shallow";',
      "export function f(p: Ptr<file>): number { return p.f_inode.i_ino; }",
      "",
    ].join("\n"));
    writeFileSync(join(dir, "bad_omitted.ts"), [
      'import type { Ptr } from "bpftsc";',
      'import type { class_ } from "./fixture";',
      "export function f(c: Ptr<class_>): number { return c.flags; }",
      "",
    ].join("\n"));

    let output = "";
    try {
      execFileSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8", cwd: dir });
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    const errors = output.split("\n").filter((l) => /error TS\d+/.test(l));
    // Exactly one error per bad file, none in the declarations or the good probe.
    expect(errors.map((l) => l.slice(0, l.indexOf("("))).sort()).toEqual(["bad_depth.ts", "bad_enum.ts", "bad_field.ts", "bad_omitted.ts"]);
    expect(output).toMatch(/bad_enum\.ts\(3,\d+\): error TS\d+: Property 'NR_NOPE' does not exist/);
    expect(output).toMatch(/bad_field\.ts\(3,\d+\): error TS\d+: Property 'i_nope' does not exist/);
    expect(output).toMatch(/bad_depth\.ts\(3,\d+\): error TS\d+: Property 'i_ino' does not exist/);
    expect(output).toMatch(/bad_omitted\.ts\(3,\d+\): error TS\d+: Property 'flags' does not exist/);
  });
});
