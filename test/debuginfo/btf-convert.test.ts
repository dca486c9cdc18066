// kernel-btf.ts on hand-built BTF: the conversion rules (integers, enums, enum64, bool,
// char, floats, 128-bit integers, function pointers, user type tags), bitfields left out,
// unions and anonymous members kept as BTF has them and named as C names them, CO-RE
// access paths through them, pointer cycles, packed structs,
// forward declarations, typedef-named anonymous structs and duplicate struct names.

import { describe, expect, it } from "vitest";
import {
  fieldAccess, kernelBtfFromBytes, kernelFunction, kernelStruct, lookupStructId, structMembers, structTypeId,
  type KernelBtf,
} from "../../compiler/debuginfo/kernel-btf.js";
import { namedFields, typeToString, type CType, type PtrType, type StructType } from "../../compiler/types/ctype.js";
import { BtfBlobBuilder } from "./btf-builder.js";

const SIGNED = 1, BOOL = 4; // BTF_INT_SIGNED, BTF_INT_BOOL

function fixture(): { k: KernelBtf; ids: Record<string, number> } {
  const b = new BtfBlobBuilder();
  const ids: Record<string, number> = {};
  const int = (ids.int = b.int("int", 4, SIGNED));
  const uint = (ids.uint = b.int("unsigned int", 4));
  const u8 = (ids.u8 = b.int("unsigned char", 1));
  const short = b.int("short", 2, SIGNED);
  const ulong = b.int("long unsigned int", 8);
  const char = (ids.char = b.int("char", 1));             // -funsigned-char: no SIGNED bit
  const schar = b.int("signed char", 1, SIGNED);
  const bool = b.int("_Bool", 1, BOOL);
  const i128 = b.int("__int128", 16, SIGNED);
  const dbl = b.float("double", 8);
  const sizeT = b.typedef("size_t", ulong);
  const cint = b.const(int);

  // Cycle: struct a { struct b *b; int x; }; struct b { struct a *a; struct b *self; };
  const aId = (ids.a = b.declare());
  const bId = (ids.b = b.declare());
  const pa = b.ptr(aId), pb = b.ptr(bId);
  b.struct("a", 16, [["b", pb, 0], ["x", int, 64]], aId);
  b.struct("b", 16, [["a", pa, 0], ["self", pb, 64]], bId);

  // Bitfields (kind_flag) and an old-style INT bitfield.
  ids.bits = b.struct("bits", 12, [["lo", uint, 0, 3], ["hi", uint, 3, 29], ["whole", uint, 32], ["after", u8, 64]]);
  const oldBits = b.int("unsigned int", 4, 0, 5, 0);
  ids.oldbits = b.struct("oldbits", 8, [["flags", oldBits, 0], ["n", uint, 32]]);

  // Anonymous members: struct outer { int a; union { int u1; struct { short s1; short s2; }; }; int b; };
  const inner = b.struct("", 4, [["s1", short, 0], ["s2", short, 16]]);
  const anonU = b.union("", 4, [["u1", int, 0], ["", inner, 0]]);
  // ... plus a named member of an anonymous struct type, and an array of chars.
  const namedAnon = (ids.namedAnon = b.struct("", 8, [["p", int, 0], ["q", int, 32]]));
  const comm = b.array(char, int, 16);
  const ucharArr = b.array(u8, int, 4);
  const flex = b.array(int, int, 0);
  ids.outer = b.struct("outer", 48, [
    ["a", int, 0], ["", anonU, 32], ["b", cint, 64], ["pair", namedAnon, 96], ["comm", comm, 160],
    ["raw", ucharArr, 288], ["tail", flex, 320],
  ]);

  ids.nu = b.union("nu", 8, [["a", int, 0], ["b", ulong, 0]]);

  // Packed and over-aligned structs.
  ids.packed = b.struct("packed", 5, [["c", u8, 0], ["x", uint, 8]]);
  ids.natural = b.struct("natural", 8, [["c", u8, 0], ["x", uint, 32]]);
  ids.packed2 = b.struct("packed2", 6, [["c", short, 0], ["x", uint, 16]]);

  // Enums.
  const e8 = b.enum("small", 1, [["A", 1]]);
  const eneg = b.enum("neg", 4, [["M", -1]], true);
  const e64 = b.enum64("wide", 8, [["W", 1n << 40n]]);
  const e64s = b.enum64("wides", 8, [["S", -2n]], true);
  ids.enums = b.struct("enums", 24, [["e8", e8, 0], ["eneg", eneg, 32], ["e64", e64, 64], ["e64s", e64s, 128]]);

  // Unrepresentable members, function pointers, tags, typedef'd anonymous struct.
  const fnProto = b.proto(int, [["x", int]]);
  const fnPtr = b.ptr(fnProto);
  const userTag = b.typeTag("user", char);
  const userPtr = b.ptr(b.const(userTag));
  const atomicBody = b.struct("", 4, [["counter", int, 0]]);
  const atomicT = b.typedef("atomic_t", atomicBody);
  ids.odd = b.struct("odd", 48, [
    ["d", dbl, 0], ["big", i128, 128], ["fn", fnPtr, 256], ["ubuf", userPtr, 320], ["cnt", atomicT, 352],
  ]);

  // Forward declarations: one defined later, one never.
  const fwdLater = b.fwd("later");
  const fwdNever = b.fwd("never");
  ids.later = b.struct("later", 4, [["v", int, 0]]);
  ids.fwds = b.struct("fwds", 16, [["l", b.ptr(fwdLater), 0], ["n", b.ptr(fwdNever), 64]]);

  // Two structs called "dup": lookups take the one with more members.
  b.struct("dup", 4, [["only", int, 0]]);
  ids.dup = b.struct("dup", 8, [["one", int, 0], ["two", int, 32]]);

  // Functions.
  const proto = b.proto(sizeT, [["fd", int], ["buf", userPtr], ["count", sizeT], ["flag", bool], ["c", schar], ["", pa], ["x", dbl]]);
  b.func("do_thing", proto);
  b.func("logf", b.proto(0, [["fmt", b.ptr(b.const(char))], ["", 0]]));
  return { k: kernelBtfFromBytes(b.build(), "fixture"), ids };
}

/** The members by the names C gives them (anonymous members' members in place). */
const fieldsOf = (st: StructType) => namedFields(st).map((f) => `${f.name}@${f.offset}:${typeToString(f.type)}`);
const field = (st: StructType, name: string): CType => st.fields.find((f) => f.name === name)!.type;

describe("kernel-btf conversion rules", () => {
  const { k, ids } = fixture();

  it("converts a function's parameters by size, signedness and kind", () => {
    const f = kernelFunction(k, "do_thing")!;
    expect(f.params.map((p) => `${p.name}: ${typeToString(p.type)}`)).toEqual([
      "fd: i32", "buf: Ptr<u8>", "count: u64", "flag: bool", "c: i8", "arg5: Ptr<a>", "x: void",
    ]);
    expect(f.ret).toMatchObject({ kind: "int", name: "u64" });
    expect(f.variadic).toBe(false);
    expect((f.params[1].type as PtrType).space).toBe("user");
    expect((f.params[5].type as PtrType).space).toBe("kernel");
    const v = kernelFunction(k, "logf")!;
    expect(v.variadic).toBe(true);
    expect(v.params.map((p) => p.name)).toEqual(["fmt"]);
    expect(v.ret).toEqual({ kind: "void" });
    expect(kernelFunction(k, "nope")).toBeUndefined();
    expect(kernelFunction(k, "outer")).toBeUndefined();
  });

  it("leaves bitfields out of the StructType and says so in structMembers", () => {
    const st = kernelStruct(k, "bits")!;
    expect(fieldsOf(st)).toEqual(["whole@4:u32", "after@8:u8"]);
    expect(st.size).toBe(12);
    expect(st.align).toBe(4);
    const ms = structMembers(k, ids.bits);
    expect(ms.map((m) => [m.name, m.omitted, m.bitfieldSize, m.bitOffset])).toEqual([
      ["lo", "bitfield", 3, 0], ["hi", "bitfield", 29, 3], ["whole", undefined, 0, 32], ["after", undefined, 0, 64],
    ]);
    expect(fieldsOf(kernelStruct(k, "oldbits")!)).toEqual(["n@4:u32"]);
    expect(structMembers(k, ids.oldbits)[0]).toMatchObject({ name: "flags", omitted: "bitfield", bitfieldSize: 5 });
    expect(fieldAccess(k, "bits", ["lo"])).toBeUndefined();
  });

  it("converts enums and enum64 to integers of their size and signedness", () => {
    expect(fieldsOf(kernelStruct(k, "enums")!)).toEqual(["e8@0:u8", "eneg@4:i32", "e64@8:u64", "e64s@16:i64"]);
    // CO-RE needs to know the field was an enum: libbpf does not match a local INT to an ENUM.
    expect(fieldAccess(k, "enums", ["eneg"])).toMatchObject({ fieldKind: "enum", rootKind: "struct", offset: 4 });
    expect(fieldAccess(k, "enums", ["e64s"])).toMatchObject({ fieldKind: "enum64", offset: 16 });
  });

  it("keeps anonymous structs and unions as members, and names their members as C does", () => {
    const st = kernelStruct(k, "outer")!;
    expect(st.fields.map((f) => `${f.name}@${f.offset}:${typeToString(f.type)}`)).toEqual([
      "a@0:i32", "@4:Union<{ u1: i32; { s1: i16; s2: i16 } }>", "b@8:i32", "pair@12:{ p: i32; q: i32 }",
      "comm@20:Chars<16>", "raw@36:FixedArray<u8, 4>", "tail@40:FixedArray<i32, 0>",
    ]);
    expect(fieldsOf(st)).toEqual([
      "a@0:i32", "u1@4:i32", "s1@4:i16", "s2@6:i16", "b@8:i32", "pair@12:{ p: i32; q: i32 }",
      "comm@20:Chars<16>", "raw@36:FixedArray<u8, 4>", "tail@40:FixedArray<i32, 0>",
    ]);
    expect(st.fields[1]!.type).toMatchObject({ kind: "struct", union: true, name: "", size: 4 });
    expect(structTypeId(k, st.fields[3]!.type as StructType)).toBe(ids.namedAnon);
    expect(st.align).toBe(4);
    expect(structMembers(k, ids.outer).find((m) => m.name === "s2")!.path).toEqual([1, 1, 1]);
  });

  it("computes CO-RE access paths within one struct, anonymous hops included", () => {
    expect(fieldAccess(k, "outer", ["b"])).toMatchObject({ fieldKind: "int", accessIndices: [0, 2], offset: 8 });
    expect(fieldAccess(k, "outer", ["pair"])).toMatchObject({ fieldKind: "struct" });
    expect(fieldAccess(k, "outer", ["comm"])).toMatchObject({ fieldKind: "array" });
    const s2 = fieldAccess(k, "outer", ["s2"])!;
    expect(s2).toMatchObject({ typeId: ids.outer, accessIndices: [0, 1, 1, 1], offset: 6 });
    expect(s2.type).toMatchObject({ kind: "int", name: "i16" });
    const q = fieldAccess(k, "outer", ["pair", "q"])!;
    expect(q).toMatchObject({ accessIndices: [0, 3, 1], offset: 16 });
    const c = fieldAccess(k, "outer", ["comm", "5"])!;
    expect(c).toMatchObject({ accessIndices: [0, 4, 5], offset: 25 });
    expect(fieldAccess(k, "outer", ["comm", "16"])).toBeUndefined();      // past the end
    expect(fieldAccess(k, "outer", ["tail", "100"])).toMatchObject({ offset: 440 }); // flexible array
    expect(fieldAccess(k, "outer", ["nope"])).toBeUndefined();
    expect(fieldAccess(k, "nope", ["a"])).toBeUndefined();
    // A pointer ends the path: b.a.x is two accesses.
    expect(fieldAccess(k, "b", ["a", "x"])).toBeUndefined();
    const hop1 = fieldAccess(k, "b", ["a"])!;
    const pointee = (hop1.type as PtrType).to as StructType;
    const hop2 = fieldAccess(k, pointee.name, ["x"])!;
    expect(hop2).toMatchObject({ typeId: ids.a, accessIndices: [0, 1], offset: 8 });
    expect(structTypeId(k, pointee)).toBe(ids.a);
  });

  it("gives unions as unions whose fields share offset 0, and says the root is a union", () => {
    expect(fieldsOf(kernelStruct(k, "nu")!)).toEqual(["a@0:i32", "b@0:u64"]);
    expect(kernelStruct(k, "nu")).toMatchObject({ union: true, size: 8, align: 8 });
    expect(fieldAccess(k, "nu", ["b"])).toMatchObject({ rootKind: "union", accessIndices: [0, 1], offset: 0 });
  });

  it("converts pointer cycles lazily and to the same objects", () => {
    const before = k.ctypes.size;
    const a = kernelStruct(k, "a")!;
    const bPtr = field(a, "b") as PtrType;
    // Converting `a` did not convert `b` yet.
    expect(Object.getOwnPropertyDescriptor(bPtr, "to")!.get).toBeDefined();
    const b = bPtr.to as StructType;
    expect(b.name).toBe("b");
    expect(Object.getOwnPropertyDescriptor(bPtr, "to")!.value).toBe(b);   // now plain data
    expect((field(b, "a") as PtrType).to).toBe(a);
    expect((field(b, "self") as PtrType).to).toBe(b);
    expect(kernelStruct(k, "a")).toBe(a);
    let s: StructType = b;
    for (let i = 0; i < 100; i++) s = (field(s, "self") as PtrType).to as StructType;
    expect(s).toBe(b);
    expect(k.ctypes.size - before).toBeLessThan(10);
  });

  it("trusts BTF offsets for packed structs", () => {
    expect(kernelStruct(k, "packed")).toMatchObject({ size: 5, align: 1 });
    expect(fieldsOf(kernelStruct(k, "packed")!)).toEqual(["c@0:u8", "x@1:u32"]);
    expect(kernelStruct(k, "natural")).toMatchObject({ size: 8, align: 4 });
    expect(kernelStruct(k, "packed2")).toMatchObject({ size: 6, align: 2 });
  });

  it("handles floats, 128-bit integers, function pointers, user tags and typedef'd anonymous structs", () => {
    const st = kernelStruct(k, "odd")!;
    expect(fieldsOf(st)).toEqual(["fn@32:Ptr<void>", "ubuf@40:Ptr<u8>", "cnt@44:atomic_t"]);
    expect((field(st, "ubuf") as PtrType).space).toBe("user");
    expect(structMembers(k, ids.odd).filter((m) => m.omitted).map((m) => [m.name, m.omitted])).toEqual([
      ["d", "floating point"], ["big", "128-bit integer"],
    ]);
    expect(kernelStruct(k, "atomic_t")).toBe(field(st, "cnt"));
    expect(st.align).toBe(16);
  });

  it("resolves forward declarations to definitions, else to an opaque struct", () => {
    const st = kernelStruct(k, "fwds")!;
    expect((field(st, "l") as PtrType).to).toBe(kernelStruct(k, "later"));
    expect((field(st, "n") as PtrType).to).toMatchObject({ kind: "struct", name: "never", fields: [], size: 0 });
  });

  it("picks the struct with more members when two share a name", () => {
    expect(lookupStructId(k, "dup")).toBe(ids.dup);
    expect(lookupStructId(k, "struct dup")).toBe(ids.dup);
    expect(fieldsOf(kernelStruct(k, "dup")!)).toEqual(["one@0:i32", "two@4:i32"]);
  });

  it("reads char by its BTF signedness and char arrays as strings", () => {
    const comm = field(kernelStruct(k, "outer")!, "comm");
    expect(comm).toMatchObject({ kind: "array", length: 16, isString: true, elem: { name: "u8" } });
    expect(field(kernelStruct(k, "outer")!, "raw")).not.toHaveProperty("isString");
  });
});
