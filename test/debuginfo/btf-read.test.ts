// btf-read.ts: every kind decoded from hand-built blobs (little- and big-endian, split),
// malformed blobs rejected, and every one of vmlinux's types decoded exactly as
// `bpftool btf dump file /sys/kernel/btf/vmlinux format raw` prints it.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BtfError, parseBtf, type BtfTable, type RawType } from "../../compiler/debuginfo/btf-read.js";
import { BtfBlobBuilder } from "./btf-builder.js";
import { bpftoolRaw, type OracleType } from "./bpftool-oracle.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";

function everyKind(): { b: BtfBlobBuilder; ids: Record<string, number> } {
  const b = new BtfBlobBuilder();
  const ids: Record<string, number> = {};
  ids.int = b.int("int", 4, 1);
  ids.uchar = b.int("unsigned char", 1, 0);
  ids.ptr = b.ptr(ids.int);
  ids.arr = b.array(ids.uchar, ids.int, 16);
  ids.st = b.struct("s", 8, [["a", ids.int, 0], ["flag", ids.int, 32, 3], ["rest", ids.int, 35, 29]]);
  ids.un = b.union("u", 4, [["x", ids.int, 0], ["y", ids.uchar, 0]]);
  ids.en = b.enum("e", 4, [["NEG", -5], ["POS", 7]], true);
  ids.en64 = b.enum64("e64", 8, [["BIG", 0xffff_ffff_ffffn], ["TOP", 1n << 63n]]);
  ids.fwd = b.fwd("later", true);
  ids.td = b.typedef("myint", ids.int);
  ids.vol = b.volatile(ids.int);
  ids.cst = b.const(ids.int);
  ids.rst = b.restrict(ids.ptr);
  ids.proto = b.proto(ids.int, [["x", ids.int], ["p", ids.ptr], ["", 0]]);
  ids.func = b.func("f", ids.proto, 1);
  ids.var = b.var("v", ids.int, 1);
  ids.sec = b.datasec(".data", 4, [[ids.var, 0, 4]]);
  ids.flt = b.float("double", 8);
  ids.dtag = b.declTag("bpf_kfunc", ids.func, -1);
  ids.ttag = b.typeTag("user", ids.int);
  return { b, ids };
}

function checkEveryKind(t: BtfTable, ids: Record<string, number>): void {
  expect(t.count).toBe(Object.keys(ids).length);
  expect(t.type(0)).toEqual({ kind: "void", id: 0, name: "" });
  expect(t.type(ids.int)).toEqual({ kind: "int", id: ids.int, name: "int", size: 4, encoding: 1, bitOffset: 0, bits: 32 });
  expect(t.type(ids.ptr)).toEqual({ kind: "ptr", id: ids.ptr, name: "", type: ids.int });
  expect(t.type(ids.arr)).toEqual({ kind: "array", id: ids.arr, name: "", elem: ids.uchar, index: ids.int, nelems: 16 });
  expect(t.type(ids.st)).toEqual({
    kind: "struct", id: ids.st, name: "s", size: 8, kflag: true, members: [
      { name: "a", type: ids.int, bitOffset: 0, bitfieldSize: 0 },
      { name: "flag", type: ids.int, bitOffset: 32, bitfieldSize: 3 },
      { name: "rest", type: ids.int, bitOffset: 35, bitfieldSize: 29 },
    ],
  });
  expect(t.type(ids.un)).toMatchObject({ kind: "union", name: "u", size: 4, kflag: false, members: [{ name: "x" }, { name: "y" }] });
  expect(t.type(ids.en)).toEqual({
    kind: "enum", id: ids.en, name: "e", size: 4, signed: true, values: [{ name: "NEG", value: -5 }, { name: "POS", value: 7 }],
  });
  expect(t.type(ids.en64)).toEqual({
    kind: "enum64", id: ids.en64, name: "e64", size: 8, signed: false,
    values: [{ name: "BIG", value: 0xffff_ffff_ffffn }, { name: "TOP", value: 1n << 63n }],
  });
  expect(t.type(ids.fwd)).toEqual({ kind: "fwd", id: ids.fwd, name: "later", union: true });
  expect(t.type(ids.td)).toEqual({ kind: "typedef", id: ids.td, name: "myint", type: ids.int });
  expect(t.type(ids.vol)).toMatchObject({ kind: "volatile", type: ids.int });
  expect(t.type(ids.cst)).toMatchObject({ kind: "const", type: ids.int });
  expect(t.type(ids.rst)).toMatchObject({ kind: "restrict", type: ids.ptr });
  expect(t.type(ids.proto)).toEqual({
    kind: "func_proto", id: ids.proto, name: "", ret: ids.int, variadic: true,
    params: [{ name: "x", type: ids.int }, { name: "p", type: ids.ptr }],
  });
  expect(t.type(ids.func)).toEqual({ kind: "func", id: ids.func, name: "f", proto: ids.proto, linkage: 1 });
  expect(t.type(ids.var)).toEqual({ kind: "var", id: ids.var, name: "v", type: ids.int, linkage: 1 });
  expect(t.type(ids.sec)).toEqual({ kind: "datasec", id: ids.sec, name: ".data", size: 4, vars: [{ type: ids.var, offset: 0, size: 4 }] });
  expect(t.type(ids.flt)).toEqual({ kind: "float", id: ids.flt, name: "double", size: 8 });
  expect(t.type(ids.dtag)).toEqual({ kind: "decl_tag", id: ids.dtag, name: "bpf_kfunc", type: ids.func, componentIdx: -1 });
  expect(t.type(ids.ttag)).toEqual({ kind: "type_tag", id: ids.ttag, name: "user", type: ids.int });
  // Lookups by name space, and modifier skipping.
  expect(t.idsByName("func", "f")).toEqual([ids.func]);
  expect(t.idsByName("composite", "s")).toEqual([ids.st]);
  expect(t.idsByName("composite", "u")).toEqual([ids.un]);
  expect(t.idsByName("typedef", "myint")).toEqual([ids.td]);
  expect(t.idsByName("func", "s")).toEqual([]);
  expect(t.idsByName("composite", "nope")).toEqual([]);
  expect(t.skipModsAndTypedefs(ids.td)).toBe(ids.int);
  expect(t.skipModsAndTypedefs(ids.ttag)).toBe(ids.int);
  expect(t.kindOf(ids.en64)).toBe("enum64");
  expect(t.nameOf(ids.st)).toBe("s");
}

describe("btf-read on hand-built blobs", () => {
  it("decodes every kind (little-endian)", () => {
    const { b, ids } = everyKind();
    checkEveryKind(parseBtf(b.build()), ids);
  });

  it("decodes every kind (big-endian)", () => {
    const { b, ids } = everyKind();
    const t = parseBtf(b.build({ bigEndian: true }));
    expect(t.littleEndian).toBe(false);
    checkEveryKind(t, ids);
  });

  it("decodes a blob that is not 4-byte aligned in its buffer", () => {
    const { b, ids } = everyKind();
    const blob = b.build();
    const shifted = new Uint8Array(blob.length + 1);
    shifted.set(blob, 1);
    checkEveryKind(parseBtf(shifted.subarray(1)), ids);
  });

  it("reads split BTF on top of a base: ids and string offsets continue", () => {
    const base = new BtfBlobBuilder();
    const int = base.int("int", 4, 1);
    const s = base.struct("base_s", 4, [["x", int, 0]]);
    const baseTable = parseBtf(base.build());
    const split = new BtfBlobBuilder(baseTable.count, base.stringSectionLength);
    const p = split.ptr(s);
    const m = split.struct("mod_s", 8, [["x", int, 0], ["bp", p, 0]]);
    const t = parseBtf(split.build(), { base: baseTable });
    expect(p).toBe(3);
    expect(t.firstId).toBe(3);
    expect(t.type(m)).toMatchObject({ kind: "struct", name: "mod_s", members: [{ name: "x", type: int }, { name: "bp", type: p }] });
    expect(t.type(s)).toMatchObject({ name: "base_s" });
    expect(t.idsByName("composite", "base_s")).toEqual([s]);
    expect(t.idsByName("composite", "mod_s")).toEqual([m]);
  });

  it("rejects malformed blobs with BtfError", () => {
    const { b } = everyKind();
    const good = b.build();
    const badMagic = good.slice();
    badMagic[0] = 0;
    expect(() => parseBtf(badMagic)).toThrow(/not BTF/);
    expect(() => parseBtf(good.subarray(0, 10))).toThrow(BtfError);
    const truncated = good.slice();
    new DataView(truncated.buffer).setUint32(12, 8, true); // type_len cuts the first record
    expect(() => parseBtf(truncated)).toThrow(/truncated/);
    const unknownKind = good.slice();
    unknownKind[24 + 7] = 25; // info's kind byte of type 1
    expect(() => parseBtf(unknownKind)).toThrow(/unknown BTF kind 25/);
    const beyond = good.slice();
    new DataView(beyond.buffer).setUint32(20, 1 << 30, true);
    expect(() => parseBtf(beyond)).toThrow(/outside/);
    const t = parseBtf(good);
    expect(() => t.type(t.endId)).toThrow(/out of range/);
    expect(() => t.str(1 << 20)).toThrow(/out of range/);
  });

  it("answers the same before and after it builds a name index", () => {
    const b = new BtfBlobBuilder();
    const int = b.int("int", 4, 1);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(b.struct(`s${i}`, 4, [["x", int, 0]]));
    const dup = b.struct("s3", 4, [["y", int, 0]]);
    const t = parseBtf(b.build());
    for (let i = 0; i < 40; i++) expect(t.idsByName("composite", `s${i}`)).toEqual(i === 3 ? [ids[3], dup] : [ids[i]]);
    expect(t.idsByName("composite", "s3")).toEqual([ids[3], dup]);
    expect(t.idsByName("composite", "s99")).toEqual([]);
    expect(new Set(t.names("composite")).size).toBe(40);
  });
});

const ENC: Record<string, number> = { "(none)": 0, SIGNED: 1, CHAR: 2, BOOL: 4 };
const LINKAGE: Record<string, number> = { static: 0, global: 1, extern: 2 };

/** Compares one decoded type with bpftool's printout; returns a difference or "". */
function differs(r: RawType, o: OracleType): string {
  const eq = (what: string, ours: unknown, theirs: unknown) =>
    String(ours) === String(theirs) ? "" : `${what}: ours ${String(ours)}, bpftool ${String(theirs)}`;
  const a = o.attrs;
  const first = (...xs: string[]) => xs.find((x) => x !== "") ?? "";
  let d = first(eq("kind", r.kind, o.kind.toLowerCase()), eq("name", r.name, o.name));
  if (d) return d;
  switch (r.kind) {
    case "int":
      return first(eq("size", r.size, a.size), eq("bits_offset", r.bitOffset, a.bits_offset),
        eq("nr_bits", r.bits, a.nr_bits), eq("encoding", r.encoding, ENC[a.encoding]));
    case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
      return eq("type_id", r.type, a.type_id);
    case "array":
      return first(eq("type_id", r.elem, a.type_id), eq("index_type_id", r.index, a.index_type_id), eq("nr_elems", r.nelems, a.nr_elems));
    case "struct": case "union":
      d = first(eq("size", r.size, a.size), eq("vlen", r.members.length, a.vlen));
      for (let i = 0; !d && i < r.members.length; i++) {
        const m = r.members[i], om = o.items[i];
        d = first(eq(`member ${i} name`, m.name, om.name), eq(`member ${i} type`, m.type, om.attrs.type_id),
          eq(`member ${i} bits_offset`, m.bitOffset, om.attrs.bits_offset),
          eq(`member ${i} bitfield_size`, m.bitfieldSize, om.attrs.bitfield_size ?? 0));
      }
      return d;
    case "enum": case "enum64":
      d = first(eq("size", r.size, a.size), eq("vlen", r.values.length, a.vlen),
        eq("encoding", r.signed ? "SIGNED" : "UNSIGNED", a.encoding));
      for (let i = 0; !d && i < r.values.length; i++) {
        const v = r.values[i], ov = o.items[i];
        d = first(eq(`value ${i} name`, v.name, ov.name),
          eq(`value ${i}`, BigInt(v.value), BigInt(ov.attrs.val.replace(/U?LL$/, ""))));
      }
      return d;
    case "fwd":
      return eq("fwd_kind", r.union ? "union" : "struct", a.fwd_kind);
    case "func":
      return first(eq("type_id", r.proto, a.type_id), eq("linkage", r.linkage, LINKAGE[a.linkage]));
    case "func_proto":
      d = first(eq("ret_type_id", r.ret, a.ret_type_id), eq("vlen", r.params.length + (r.variadic ? 1 : 0), a.vlen));
      for (let i = 0; !d && i < r.params.length; i++) {
        d = first(eq(`param ${i} name`, r.params[i].name, o.items[i].name), eq(`param ${i} type`, r.params[i].type, o.items[i].attrs.type_id));
      }
      if (!d && r.variadic) d = eq("vararg", 0, o.items[r.params.length].attrs.type_id);
      return d;
    case "var":
      return first(eq("type_id", r.type, a.type_id), eq("linkage", r.linkage, LINKAGE[a.linkage]));
    case "datasec":
      d = first(eq("size", r.size, a.size), eq("vlen", r.vars.length, a.vlen));
      for (let i = 0; !d && i < r.vars.length; i++) {
        const v = r.vars[i], ov = o.items[i].attrs;
        d = first(eq(`var ${i} type`, v.type, ov.type_id), eq(`var ${i} offset`, v.offset, ov.offset), eq(`var ${i} size`, v.size, ov.size));
      }
      return d;
    case "float":
      return eq("size", r.size, a.size);
    case "decl_tag":
      return first(eq("type_id", r.type, a.type_id), eq("component_idx", r.componentIdx, a.component_idx));
    default:
      return `unexpected kind ${r.kind}`;
  }
}

describe("btf-read on the running kernel's BTF", () => {
  it("decodes every type exactly as bpftool prints it", () => {
    const t = parseBtf(readFileSync(VMLINUX));
    const oracle = bpftoolRaw(VMLINUX);
    expect(t.count).toBe(oracle.size);
    const kinds = new Set<string>();
    const problems: string[] = [];
    for (let id = 1; id < t.endId; id++) {
      const o = oracle.get(id);
      if (!o) { problems.push(`[${id}] missing from bpftool`); continue; }
      const d = differs(t.type(id), o);
      if (d) problems.push(`[${id}] ${d}`);
      kinds.add(o.kind);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // The kernel's BTF exercises most kinds; make sure the comparison saw them.
    for (const k of ["INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "ENUM64", "FWD", "TYPEDEF", "CONST", "VOLATILE", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG"]) {
      expect(kinds).toContain(k);
    }
  });

  it("parses vmlinux BTF and finds a function", () => {
    const t = parseBtf(readFileSync(VMLINUX));
    const ids = t.idsByName("func", "vfs_write");
    expect(ids).toHaveLength(1);
    expect(t.type(ids[0])).toMatchObject({ kind: "func", name: "vfs_write" });
  });
});
