// The BTF codecs on hand-built BTF (test/debuginfo/btf-builder.ts, written independently
// of the readers): every kind a map value can have, bytes laid out by hand, decoded and
// encoded back to the same bytes; and the refusals of values that do not fit.

import { describe, expect, it } from "vitest";
import { parseBtf } from "../../compiler/debuginfo/btf-read.js";
import { Codecs, encode, view } from "../../loader/btf-codec.js";
import { BtfBlobBuilder } from "../debuginfo/btf-builder.js";

const SIGNED = 1, CHAR = 2, BOOL = 4;

function fixture() {
  const b = new BtfBlobBuilder();
  const u8 = b.int("unsigned char", 1);
  const char = b.int("char", 1, SIGNED | CHAR);
  const i16 = b.int("short", 2, SIGNED);
  const u32 = b.typedef("u32", b.int("unsigned int", 4));
  const i64 = b.int("long long", 8, SIGNED);
  const bool = b.int("_Bool", 1, BOOL);
  const idx = b.int("__ARRAY_SIZE_TYPE__", 4);
  const color = b.enum("color", 4, [["RED", 1], ["BLUE", -2 >>> 0]], true);
  const dbl = b.float("double", 8);
  const name = b.array(char, idx, 6);
  const pair = b.array(b.array(i16, idx, 2), idx, 2);
  const ptr = b.ptr(u8);
  const inner = b.union("", 4, [["word", u32, 0], ["low", i16, 0]]);
  // struct s { u32 a; char name[6]; short pair[2][2]; long long big; _Bool ok;
  //            unsigned int flags:3, mode:5; signed char :0; int level:4 (signed);
  //            enum color c; double d; u8 *p; union { u32 word; short low; }; }
  const level = b.int("int", 4, SIGNED);
  const s = b.struct("s", 64, [
    ["a", u32, 0], ["name", name, 32], ["pair", pair, 80], ["big", i64, 192], ["ok", bool, 256],
    ["flags", u32, 264, 3], ["mode", u32, 267, 5], ["level", level, 272, 4],
    ["c", b.const(b.volatile(color)), 288], ["d", dbl, 320], ["p", ptr, 384], ["", inner, 448],
  ]);
  return { codecs: new Codecs(parseBtf(b.build())), s, u32, name };
}

/** The bytes of struct s for the value below, written field by field. */
function bytesOfS(): Uint8Array {
  const bytes = new Uint8Array(64);
  const dv = view(bytes);
  dv.setUint32(0, 4000000000, true);
  bytes.set(new TextEncoder().encode("comm"), 4);
  [1, -2, 3, -32768].forEach((v, i) => dv.setInt16(10 + 2 * i, v, true));
  dv.setBigInt64(24, -(2n ** 62n), true);
  bytes[32] = 1;
  bytes[33] = 0b10110_101; // flags = 5 (bits 264..266), mode = 22 (bits 267..271)
  bytes[34] = 0b1110; // level = -2 (4 bits, signed)
  dv.setInt32(36, -2, true);
  dv.setFloat64(40, 2.5, true);
  dv.setBigUint64(48, 0xffff800012345678n, true);
  dv.setUint32(56, 0x1234fffe, true);
  return bytes;
}

const VALUE = {
  a: 4000000000, name: "comm", pair: [[1, -2], [3, -32768]], big: -(2n ** 62n), ok: true,
  flags: 5, mode: 22, level: -2, c: -2, d: 2.5, p: 0xffff800012345678n, word: 0x1234fffe, low: -2,
};

describe("BTF codecs", () => {
  it("decode every kind a value can have", () => {
    const { codecs, s } = fixture();
    expect(codecs.of(s).decode(view(bytesOfS()), 0)).toEqual(VALUE);
  });

  it("encode back to the same bytes", () => {
    const { codecs, s } = fixture();
    const { low: _low, ...withoutLow } = VALUE; // a union's members overlap: one is enough
    expect(encode(codecs.of(s), 64, withoutLow, "value")).toEqual(bytesOfS());
  });

  it("a char array is a string up to its first NUL, and all of it when there is none", () => {
    const { codecs, name } = fixture();
    const c = codecs.of(name);
    expect(c.decode(view(new Uint8Array([104, 105, 0, 120, 0, 0])), 0)).toBe("hi");
    expect(c.decode(view(new TextEncoder().encode("sixsix")), 0)).toBe("sixsix");
    expect(encode(c, 6, "héé", "v")).toEqual(new Uint8Array([104, 0xc3, 0xa9, 0xc3, 0xa9, 0]));
  });

  it("refuse values that do not fit, naming where", () => {
    const { codecs, s, u32 } = fixture();
    const c = codecs.of(s);
    expect(() => encode(codecs.of(u32), 4, 2 ** 32, "key")).toThrow("key: 4294967296 is out of range for u32 (0..4294967295)");
    expect(() => encode(codecs.of(u32), 4, "1", "key")).toThrow('key: expected an integer (u32), got "1"');
    expect(() => encode(c, 64, { ...VALUE, mode: 32 }, "v")).toThrow("v.mode: 32 does not fit in u32:5");
    expect(() => encode(c, 64, { ...VALUE, level: -9 }, "v")).toThrow("v.level: -9 does not fit in int:4");
    expect(() => encode(c, 64, { ...VALUE, ok: 1 }, "v")).toThrow("v.ok: expected a boolean (_Bool), got 1");
    expect(() => encode(c, 64, { ...VALUE, pair: [[1, 2, 3]] }, "v")).toThrow("v.pair[0]: 3 elements, more than short[2] holds");
    expect(() => encode(c, 64, { ...VALUE, name: "toolong" }, "v")).toThrow('v.name: "toolong" is 7 bytes, longer than char[6]');
    expect(() => encode(c, 64, { ...VALUE, c: 2 ** 31 }, "v")).toThrow("v.c: 2147483648 is out of range for enum color");
  });
});
