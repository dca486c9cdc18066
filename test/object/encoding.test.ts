// Unit tests of the encoders: string table, .BTF header and records, .BTF.ext records
// (byte offsets, line_col packing), CType -> BTF conversion, and model checks.

import { describe, expect, it } from "vitest";
import { BtfBuilder } from "../../compiler/object/btf.js";
import { CTypeToBtf } from "../../compiler/object/btf-ctype.js";
import { encodeBtf } from "../../compiler/object/btf-encode.js";
import { lineCol } from "../../compiler/object/btf-ext.js";
import { StringTable } from "../../compiler/object/strtab.js";
import { writeObject } from "../../compiler/object/write-elf.js";
import { U32, U64, layoutStruct, layoutUnion, type StructType } from "../../compiler/types/ctype.js";
import { basicModel, kprobeProgram } from "./fixtures.js";
import { elfSection, words } from "./tools.js";

describe("StringTable", () => {
  it("starts with the empty string and deduplicates", () => {
    const s = new StringTable();
    expect(s.add("")).toBe(0);
    const a = s.add("abc");
    expect(a).toBe(1);
    expect(s.add("de")).toBe(5);
    expect(s.add("abc")).toBe(a);
    expect(Array.from(s.bytes())).toEqual([0, 97, 98, 99, 0, 100, 101, 0]);
  });
});

describe("encodeBtf", () => {
  it("writes the header, type and string sections back to back", () => {
    const b = new BtfBuilder();
    const int = b.add({ kind: "int", name: "int", size: 4, encoding: 1, bits: 32 });
    expect(b.add({ kind: "int", name: "int", size: 4, encoding: 1, bits: 32 })).toBe(int);
    b.add({ kind: "ptr", type: int });
    const bytes = encodeBtf(b.types, new StringTable());
    const w = words(bytes);
    expect(w[0]! & 0xffff).toBe(0xeb9f);
    expect((w[0]! >>> 16) & 0xff).toBe(1); // version
    expect(w[1]).toBe(24); // hdr_len
    expect(w[2]).toBe(0); // type_off
    expect(w[3]).toBe(4 * 4 + 3 * 4); // INT (16 bytes) + PTR (12 bytes)
    expect(w[4]).toBe(w[3]); // str_off
    expect(w[5]).toBe(5); // "\0int\0"
    // INT: name_off 1, info kind 1, size 4, encoding SIGNED<<24 | 32 bits
    expect(w.slice(6, 10)).toEqual([1, 1 << 24, 4, (1 << 24) | 32]);
    // PTR: name 0, kind 2, type 1
    expect(w.slice(10, 13)).toEqual([0, 2 << 24, 1]);
    expect(bytes.length).toBe(24 + 28 + 5);
  });
});

describe("CTypeToBtf", () => {
  it("maps u32/u64 to typedefs over C base types and dedups identical structs", () => {
    const b = new BtfBuilder();
    const c = new CTypeToBtf(b);
    const u32 = c.typeId(U32);
    expect(b.get(u32)).toMatchObject({ kind: "typedef", name: "u32" });
    expect(b.get((b.get(u32) as { type: number }).type)).toMatchObject({ kind: "int", name: "unsigned int", size: 4, encoding: 0 });
    const s1 = layoutStruct("pair", [{ name: "a", type: U32 }, { name: "b", type: U64 }]);
    const s2 = layoutStruct("pair", [{ name: "a", type: U32 }, { name: "b", type: U64 }]);
    expect(c.typeId(s1)).toBe(c.typeId(s2));
    expect(b.get(c.typeId(s1))).toMatchObject({ kind: "struct", name: "pair", size: 16, members: [{ name: "a", bitOffset: 0 }, { name: "b", bitOffset: 64 }] });
  });

  it("handles a struct that points to itself", () => {
    const node: StructType = { kind: "struct", name: "node", fields: [], size: 16, align: 8 };
    node.fields.push({ name: "next", type: { kind: "ptr", to: node, space: "kernel" }, offset: 0 });
    node.fields.push({ name: "v", type: U64, offset: 8 });
    const b = new BtfBuilder();
    const c = new CTypeToBtf(b);
    const id = c.typeId(node);
    c.finish();
    const t = b.get(id);
    expect(t.kind).toBe("struct");
    const next = (t as { members: { type: number }[] }).members[0]!.type;
    expect(b.get(next)).toEqual({ kind: "ptr", type: id });
  });

  it("points a pointer member at a forward declaration unless the object defines the pointee", () => {
    const other = layoutStruct("other", [{ name: "x", type: U32 }]);
    const ptrOther = { kind: "ptr", to: other, space: "kernel" } as const;
    const rec = layoutStruct("rec", [{ name: "p", type: ptrOther }, { name: "pp", type: { kind: "ptr", to: ptrOther, space: "kernel" } }]);
    const b = new BtfBuilder();
    const c = new CTypeToBtf(b);
    const id = c.typeId(rec);
    c.finish();
    const [p, pp] = (b.get(id) as { members: { type: number }[] }).members.map((m) => m.type);
    expect(b.get((b.get(p!) as { type: number }).type)).toEqual({ kind: "fwd", name: "other", union: false });
    expect(b.get((b.get(pp!) as { type: number }).type)).toEqual(b.get(p!));
    expect(b.findNamed("struct", "other")).toBeUndefined();
    // Defined for another reason (a map value, say): the member points at the definition.
    const b2 = new BtfBuilder();
    const c2 = new CTypeToBtf(b2);
    const id2 = c2.typeId(rec);
    const otherId = c2.typeId(other);
    c2.finish();
    const p2 = (b2.get(id2) as { members: { type: number }[] }).members[0]!.type;
    expect(b2.get(p2)).toEqual({ kind: "ptr", type: otherId });
  });

  it("writes unions as UNION and bitfield members with kind_flag, as clang does", () => {
    const flags = layoutStruct("flags", [{ name: "a", type: U32, width: 3 }, { name: "b", type: U32, width: 5 }, { name: "n", type: U64 }]);
    const val = layoutUnion("val", [{ name: "w", type: U64 }, { name: "h", type: U32 }]);
    const b = new BtfBuilder();
    const c = new CTypeToBtf(b);
    const f = c.typeId(flags), v = c.typeId(val);
    c.finish();
    expect(b.get(f)).toMatchObject({ kind: "struct", size: 16, members: [{ name: "a", bitOffset: 0, bitfieldSize: 3 }, { name: "b", bitOffset: 3, bitfieldSize: 5 }, { name: "n", bitOffset: 64 }] });
    expect(b.get(v)).toMatchObject({ kind: "union", size: 8, members: [{ name: "w", bitOffset: 0 }, { name: "h", bitOffset: 0 }] });
    const w = words(encodeBtf(b.types, new StringTable()));
    // The records by their info words: STRUCT with kind_flag and 3 members (name, type and
    // bitfield_size << 24 | bit_offset each, after the size), UNION with 2 and no kind_flag.
    const si = w.indexOf(((1 << 31) | (4 << 24) | 3) >>> 0);
    const members = w.slice(si + 2, si + 11);
    expect([members[2], members[5], members[8]]).toEqual([3 << 24 | 0, 5 << 24 | 3, 64]);
    expect(w.indexOf((5 << 24) | 2)).toBeGreaterThan(0);
  });
});

describe(".BTF.ext", () => {
  it("packs line_col as line << 10 | col", () => {
    expect(lineCol(7, 66)).toBe(0x1c42);
    expect(lineCol(1, 5000)).toBe((1 << 10) | 1023);
  });

  it("records instruction offsets in bytes from the section start (ld_imm64 = 16 bytes)", () => {
    const m = basicModel();
    const second = kprobeProgram("onWrite2"); // the same section: kprobe/vfs_write
    m.programs = [kprobeProgram(), second]; // both in kprobe/vfs_write
    m.maps = m.maps.filter((x) => x.name !== "counts");
    const obj = writeObject(m);
    const w = words(elfSection(obj, ".BTF.ext"));
    expect(w[0]! & 0xffff).toBe(0xeb9f);
    expect(w[1]).toBe(32); // hdr_len
    const [funcOff, funcLen, lineOff, lineLen, , coreLen] = w.slice(2, 8);
    expect(coreLen).toBe(0);
    const at = (byteOff: number) => (32 + byteOff) / 4;
    const func = w.slice(at(funcOff!), at(funcOff! + funcLen!));
    // rec_size 8; one section (name off), 2 records: (0, FUNC onWrite), (144, FUNC onWrite2)
    expect(func[0]).toBe(8);
    expect(func[2]).toBe(2);
    expect(func[3]).toBe(0);
    expect(func[5]).toBe(144);
    expect(func[4]).not.toBe(func[6]);
    const line = w.slice(at(lineOff!), at(lineOff! + lineLen!));
    expect(line[0]).toBe(16);
    expect(line[2]).toBe(6); // 3 records per program
    const recs = Array.from({ length: 6 }, (_, i) => line.slice(3 + i * 4, 7 + i * 4));
    // Instruction 6 follows one ld_imm64: byte 7*8; instruction 14: after two, byte 16*8.
    expect(recs.map((r) => r[0])).toEqual([0, 56, 128, 144, 144 + 56, 144 + 128]);
    expect(recs.map((r) => r[3])).toEqual([6 << 10 | 13, 7 << 10 | 3, 8 << 10 | 3, 6 << 10 | 13, 7 << 10 | 3, 8 << 10 | 3]);
  });
});

describe("checkModel (via writeObject)", () => {
  const bad = (edit: (m: ReturnType<typeof basicModel>) => void): (() => Uint8Array) => {
    const m = basicModel();
    edit(m);
    return () => writeObject(m);
  };
  it("rejects a map relocation that is not on ld_imm64", () => {
    expect(bad((m) => { m.programs[0]!.relocs[0]!.insn = 0; })).toThrow(/not ld_imm64/);
  });
  it("rejects a relocation against an unknown map", () => {
    expect(bad((m) => { m.programs[0]!.relocs[0]!.symbol = "nope"; })).toThrow(/against unknown symbol nope/);
  });
  it("rejects line info that does not start at instruction 0", () => {
    expect(bad((m) => { m.programs[0]!.lines.shift(); })).toThrow(/instruction 0/);
  });
  it("rejects duplicate symbol names", () => {
    expect(bad((m) => { m.programs[1]!.name = "seen"; })).toThrow(/used twice/);
  });
  it("rejects a CO-RE relocation naming a missing field", () => {
    const s = layoutStruct("file", [{ name: "f_flags", type: U32 }]);
    expect(bad((m) => { m.programs[0]!.coreRelos.push({ insn: 0, root: s, field: "f_mode", kind: 0 }); })).toThrow(/file does not have/);
  });
  it("rejects a non-ring-buffer map without a key type", () => {
    expect(bad((m) => { delete m.maps[0]!.key; })).toThrow(/key type/);
  });
  it("accepts the basic model", () => {
    expect(bad(() => {})()).toBeInstanceOf(Uint8Array);
  });
});
