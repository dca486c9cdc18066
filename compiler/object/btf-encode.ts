// The .BTF wire encoding (include/uapi/linux/btf.h), little-endian.
// In: a type graph (btf.ts) and the string table shared with .BTF.ext, which may already
// hold the file names, line texts and access strings that .BTF.ext points at.
// Out: the bytes of the .BTF section: header, type section, string section.

import type { BtfType } from "./btf.js";
import type { StringTable } from "./strtab.js";

const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const HDR_LEN = 24;

const KIND = {
  int: 1, ptr: 2, array: 3, struct: 4, union: 5, enum: 6, fwd: 7, typedef: 8, volatile: 9, const: 10, func: 12, func_proto: 13, var: 14, datasec: 15, decl_tag: 17, enum64: 19,
} as const;

function info(kind: number, vlen: number, kindFlag = false): number {
  return ((kindFlag ? 1 : 0) << 31 | kind << 24 | (vlen & 0xffff)) >>> 0;
}

/** u32 words of one type record. */
function typeWords(t: BtfType, str: (s: string) => number): number[] {
  switch (t.kind) {
    case "int":
      return [str(t.name), info(KIND.int, 0), t.size, (t.encoding << 24 | t.bits) >>> 0];
    case "ptr":
      return [0, info(KIND.ptr, 0), t.type];
    case "array":
      return [0, info(KIND.array, 0), 0, t.elem, t.index, t.nelems];
    case "struct": case "union": {
      // With bitfields, kind_flag says every member's offset word is
      // bitfield_size << 24 | bit_offset (0 for an ordinary member), as clang writes it.
      const bitfields = t.members.some((m) => m.bitfieldSize);
      return [str(t.name), info(KIND[t.kind], t.members.length, bitfields), t.size,
        ...t.members.flatMap((m) => [str(m.name), m.type, ((m.bitfieldSize ?? 0) << 24 | m.bitOffset) >>> 0])];
    }
    case "fwd":
      return [str(t.name), info(KIND.fwd, 0, t.union), 0];
    // An ENUM's value is 32 bits; an ENUM64's is its low then its high half.
    case "enum": case "enum64":
      return [str(t.name), info(KIND[t.kind], t.values.length, t.signed), t.size, ...t.values.flatMap((v) => {
        const u = BigInt.asUintN(64, v.value);
        const lo = Number(u & 0xffffffffn);
        return t.kind === "enum" ? [str(v.name), lo] : [str(v.name), lo, Number(u >> 32n)];
      })];
    case "typedef":
      return [str(t.name), info(KIND.typedef, 0), t.type];
    case "const":
    case "volatile":
      return [0, info(KIND[t.kind], 0), t.type];
    case "func_proto":
      return [0, info(KIND.func_proto, t.params.length), t.ret,
        ...t.params.flatMap((p) => [str(p.name), p.type])];
    case "func":
      return [str(t.name), info(KIND.func, t.linkage), t.proto];
    case "var":
      return [str(t.name), info(KIND.var, 0), t.type, t.linkage];
    case "datasec":
      return [str(t.name), info(KIND.datasec, t.vars.length), t.size,
        ...t.vars.flatMap((v) => [v.type, v.offset, v.size])];
    case "decl_tag":
      return [str(t.name), info(KIND.decl_tag, 0), t.type, t.componentIdx >>> 0];
  }
}

export function encodeBtf(types: readonly BtfType[], strings: StringTable): Uint8Array {
  const words: number[] = [];
  for (const t of types) words.push(...typeWords(t, (s) => strings.add(s)));
  const strBytes = strings.bytes();
  const typeLen = words.length * 4;
  const out = new Uint8Array(HDR_LEN + typeLen + strBytes.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BTF_MAGIC, true);
  dv.setUint8(2, BTF_VERSION);
  dv.setUint8(3, 0);
  dv.setUint32(4, HDR_LEN, true);
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true); // str_off
  dv.setUint32(20, strBytes.length, true);
  words.forEach((w, i) => dv.setUint32(HDR_LEN + i * 4, w >>> 0, true));
  out.set(strBytes, HDR_LEN + typeLen);
  return out;
}
