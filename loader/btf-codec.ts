// Converts between the bytes of a map key or value, a ring-buffer record or a global and
// JavaScript values, as the object's BTF describes them.
// In: a BtfTable (the compiler's BTF reader) and a type id. Out: a Codec that decodes
// bytes to a Value and encodes a Value into zeroed bytes. The rules, which the loader's
// TypeScript types (types.ts) mirror: integers of 8 (or 16) bytes are bigints, narrower
// ones numbers; bool is boolean; pointers are bigints; char[N] is a string up to the
// first NUL; other arrays are arrays; structs and unions are objects keyed by field name
// (anonymous members' fields flattened); typedefs and qualifiers are followed.

import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, type BtfTable, type RawComposite, type RawInt } from "../compiler/debuginfo/btf-read.js";

/** A decoded value. */
export type Value = number | bigint | boolean | string | Uint8Array | Value[] | { [field: string]: Value };

export interface Codec {
  readonly size: number;
  /** The type as C spells it, for messages. */
  readonly name: string;
  decode(dv: DataView, at: number): Value;
  /** Writes `value` at `at`; the bytes it does not cover (padding) are left as they are.
   *  `path` names the value in error messages ("key.pid"). */
  encode(dv: DataView, at: number, value: unknown, path: string): void;
}

export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}

const utf8Encoder = new TextEncoder();
/** A Buffer over each ArrayBuffer strings are decoded from (Buffer's UTF-8 decoder is
 *  several times faster than TextDecoder on short strings). */
const buffers = new WeakMap<ArrayBufferLike, Buffer>();

function bufferOf(dv: DataView): Buffer {
  let b = buffers.get(dv.buffer);
  if (!b) buffers.set(dv.buffer, (b = Buffer.from(dv.buffer)));
  return b;
}

/** A field of a struct or union codec. */
interface Field {
  name: string;
  /** Byte offset; for a bitfield, of the bytes holding it. */
  offset: number;
  codec: Codec;
}

/** Codecs of one BTF table, built once per type id. */
export class Codecs {
  private readonly cache = new Map<number, Codec>();

  constructor(readonly btf: BtfTable) {}

  of(id: number): Codec {
    let c = this.cache.get(id);
    if (!c) {
      c = this.build(id);
      this.cache.set(id, c);
    }
    return c;
  }

  private build(id: number): Codec {
    const btf = this.btf;
    const t = btf.type(btf.skipModsAndTypedefs(id));
    // Messages name a scalar as its declaration did (u32, not unsigned int).
    const typedef = typedefName(btf, id);
    switch (t.kind) {
      case "int": return intCodec(t, typedef ?? t.name);
      case "enum": case "enum64": return intLike(typedef ?? (t.name ? `enum ${t.name}` : "enum"), t.size, t.signed);
      case "ptr": return intLike(typedef ?? "pointer", 8, false);
      case "float": return floatCodec(t.size);
      case "array": {
        const e = btf.type(btf.skipModsAndTypedefs(t.elem));
        if (e.kind === "int" && e.size === 1 && (e.name === "char" || (e.encoding & BTF_INT_CHAR) !== 0)) return charsCodec(t.nelems);
        return arrayCodec(this.of(t.elem), t.nelems);
      }
      case "struct": case "union": return this.composite(t);
      default:
        throw new Error(`cannot decode BTF type ${id} (${t.kind}${t.name ? ` ${t.name}` : ""})`);
    }
  }

  private composite(t: RawComposite): Codec {
    const name = `${t.kind} ${t.name || "(anonymous)"}`;
    const fields: Field[] = t.members.map((m) => {
      const old = oldBitfield(this.btf, m.type);
      const width = m.bitfieldSize || old.bits;
      const bitOffset = m.bitOffset + old.offset;
      if (width > 0 && (width !== this.of(m.type).size * 8 || bitOffset % 8 !== 0)) {
        return { name: m.name, offset: 0, codec: bitfieldCodec(bitfieldType(this.btf, m.type), bitOffset, width) };
      }
      return { name: m.name, offset: bitOffset / 8, codec: this.of(m.type) };
    });
    return structCodec(name, t.size, fields, t.kind === "union");
  }
}

/** The typedef a type is spelled with, under its qualifiers (`const volatile __u32`). */
function typedefName(btf: BtfTable, id: number): string | undefined {
  for (let k = btf.kindOf(id); k === "const" || k === "volatile" || k === "restrict" || k === "type_tag"; k = btf.kindOf(id)) id = btf.refOf(id);
  return btf.kindOf(id) === "typedef" ? btf.nameOf(id) : undefined;
}

/** An old-style bitfield: an INT whose encoding gives fewer bits or a bit offset. */
function oldBitfield(btf: BtfTable, id: number): { bits: number; offset: number } {
  const t = btf.type(btf.skipModsAndTypedefs(id));
  return t.kind === "int" && (t.bits !== t.size * 8 || t.bitOffset !== 0) ? { bits: t.bits, offset: t.bitOffset } : { bits: 0, offset: 0 };
}

function intCodec(t: RawInt, name: string): Codec {
  if (t.encoding & BTF_INT_BOOL) {
    return {
      size: t.size, name,
      decode: (dv, at) => dv.getUint8(at) !== 0,
      encode: (dv, at, v, path) => {
        if (typeof v !== "boolean") throw new EncodeError(`${path}: expected a boolean (${name}), got ${show(v)}`);
        dv.setUint8(at, v ? 1 : 0);
      },
    };
  }
  return intLike(name, t.size, (t.encoding & BTF_INT_SIGNED) !== 0);
}

/** An integer of `size` bytes: a number up to 4 bytes, a bigint from 8; `name` is the
 *  type as messages spell it ("u32"). Also the key codec of maps without BTF key types. */
export function intLike(name: string, size: number, signed: boolean): Codec {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const check = (v: unknown, path: string): bigint => {
    const n = typeof v === "bigint" ? v : typeof v === "number" && Number.isInteger(v) ? BigInt(v) : undefined;
    if (n === undefined) throw new EncodeError(`${path}: expected an integer (${name}), got ${show(v)}`);
    if (n < min || n > max) throw new EncodeError(`${path}: ${n} is out of range for ${name} (${min}..${max})`);
    return n;
  };
  const codec = (decode: Codec["decode"], encode: (dv: DataView, at: number, n: bigint) => void): Codec => ({
    size, name, decode, encode: (dv, at, v, path) => encode(dv, at, check(v, path)),
  });
  switch (size) {
    case 1: return signed
      ? codec((dv, at) => dv.getInt8(at), (dv, at, n) => dv.setInt8(at, Number(n)))
      : codec((dv, at) => dv.getUint8(at), (dv, at, n) => dv.setUint8(at, Number(n)));
    case 2: return signed
      ? codec((dv, at) => dv.getInt16(at, true), (dv, at, n) => dv.setInt16(at, Number(n), true))
      : codec((dv, at) => dv.getUint16(at, true), (dv, at, n) => dv.setUint16(at, Number(n), true));
    case 4: return signed
      ? codec((dv, at) => dv.getInt32(at, true), (dv, at, n) => dv.setInt32(at, Number(n), true))
      : codec((dv, at) => dv.getUint32(at, true), (dv, at, n) => dv.setUint32(at, Number(n), true));
    case 8: return signed
      ? codec((dv, at) => dv.getBigInt64(at, true), (dv, at, n) => dv.setBigInt64(at, n, true))
      : codec((dv, at) => dv.getBigUint64(at, true), (dv, at, n) => dv.setBigUint64(at, n, true));
    case 16: {
      const decode = (dv: DataView, at: number): bigint => {
        const v = (dv.getBigUint64(at + 8, true) << 64n) | dv.getBigUint64(at, true);
        return signed ? BigInt.asIntN(128, v) : v;
      };
      return codec(decode, (dv, at, n) => {
        const u = BigInt.asUintN(128, n);
        dv.setBigUint64(at, u & 0xffffffffffffffffn, true);
        dv.setBigUint64(at + 8, u >> 64n, true);
      });
    }
    default:
      throw new Error(`cannot decode a ${size}-byte integer (${name})`);
  }
}

function floatCodec(size: number): Codec {
  if (size !== 4 && size !== 8) throw new Error(`cannot decode a ${size}-byte float`);
  const name = size === 4 ? "float" : "double";
  return {
    size, name,
    decode: (dv, at) => (size === 4 ? dv.getFloat32(at, true) : dv.getFloat64(at, true)),
    encode: (dv, at, v, path) => {
      if (typeof v !== "number") throw new EncodeError(`${path}: expected a number (${name}), got ${show(v)}`);
      if (size === 4) dv.setFloat32(at, v, true);
      else dv.setFloat64(at, v, true);
    },
  };
}

/** How a bitfield's member type decodes: its JS type and signedness. */
interface BitfieldType { name: string; js: "boolean" | "number" | "bigint"; signed: boolean }

function bitfieldType(btf: BtfTable, id: number): BitfieldType {
  const t = btf.type(btf.skipModsAndTypedefs(id));
  const typedef = typedefName(btf, id);
  if (t.kind === "int") {
    const js = t.encoding & BTF_INT_BOOL ? "boolean" : t.size === 8 ? "bigint" : "number";
    return { name: typedef ?? t.name, js, signed: (t.encoding & BTF_INT_SIGNED) !== 0 };
  }
  if (t.kind === "enum" || t.kind === "enum64") return { name: typedef ?? `enum ${t.name}`, js: t.size === 8 ? "bigint" : "number", signed: t.signed };
  throw new Error(`cannot decode a bitfield of BTF type ${id} (${t.kind})`);
}

/** A bitfield of `width` bits at `bitOffset` inside its struct. */
function bitfieldCodec(type: BitfieldType, bitOffset: number, width: number): Codec {
  const first = Math.floor(bitOffset / 8);
  const shift = BigInt(bitOffset % 8);
  const bytes = Math.ceil((bitOffset % 8 + width) / 8);
  const mask = (1n << BigInt(width)) - 1n;
  const read = (dv: DataView, at: number): bigint => {
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(dv.getUint8(at + first + i));
    return v;
  };
  const name = `${type.name}:${width}`;
  return {
    size: 0, name,
    decode: (dv, at) => {
      const raw = (read(dv, at) >> shift) & mask;
      const v = type.signed ? BigInt.asIntN(width, raw) : raw;
      return type.js === "boolean" ? v !== 0n : type.js === "bigint" ? v : Number(v);
    },
    encode: (dv, at, value, path) => {
      const n = type.js === "boolean" ? (typeof value === "boolean" ? BigInt(value) : undefined)
        : typeof value === "bigint" ? value : typeof value === "number" && Number.isInteger(value) ? BigInt(value) : undefined;
      if (n === undefined) throw new EncodeError(`${path}: expected ${type.js === "boolean" ? "a boolean" : "an integer"} (${name}), got ${show(value)}`);
      const fitted = BigInt.asUintN(width, n);
      if ((type.signed ? BigInt.asIntN(width, fitted) : fitted) !== n) throw new EncodeError(`${path}: ${n} does not fit in ${name}`);
      const v = (read(dv, at) & ~(mask << shift)) | (fitted << shift);
      for (let i = 0; i < bytes; i++) dv.setUint8(at + first + i, Number((v >> BigInt(8 * i)) & 0xffn));
    },
  };
}

function charsCodec(n: number): Codec {
  return {
    size: n, name: `char[${n}]`,
    decode: (dv, at) => {
      const b = bufferOf(dv);
      const start = dv.byteOffset + at, limit = start + n;
      let end = start;
      while (end < limit && b[end] !== 0) end++;
      return b.toString("utf8", start, end);
    },
    encode: (dv, at, v, path) => {
      if (typeof v !== "string") throw new EncodeError(`${path}: expected a string (char[${n}]), got ${show(v)}`);
      const bytes = utf8Encoder.encode(v);
      if (bytes.length > n) throw new EncodeError(`${path}: "${v}" is ${bytes.length} bytes, longer than char[${n}]`);
      new Uint8Array(dv.buffer, dv.byteOffset + at, n).fill(0).set(bytes);
    },
  };
}

function arrayCodec(elem: Codec, n: number): Codec {
  const step = elem.size;
  return {
    size: step * n, name: `${elem.name}[${n}]`,
    decode: (dv, at) => {
      const out = new Array<Value>(n);
      for (let i = 0; i < n; i++) out[i] = elem.decode(dv, at + i * step);
      return out;
    },
    encode: (dv, at, v, path) => {
      if (!Array.isArray(v)) throw new EncodeError(`${path}: expected an array (${elem.name}[${n}]), got ${show(v)}`);
      if (v.length > n) throw new EncodeError(`${path}: ${v.length} elements, more than ${elem.name}[${n}] holds`);
      for (let i = 0; i < v.length; i++) elem.encode(dv, at + i * step, v[i], `${path}[${i}]`);
    },
  };
}

/** A struct or union: also encodes its fields without checking for keys it does not
 *  know (an anonymous member gets its parent's whole object). */
interface FieldsCodec extends Codec {
  /** The keys of the decoded object: named fields and anonymous members' keys. */
  readonly keys: readonly string[];
  encodeFields(dv: DataView, at: number, obj: Record<string, unknown>, path: string): void;
}

function isFields(c: Codec): c is FieldsCodec {
  return "encodeFields" in c;
}

/** Fields named "" (anonymous structs and unions) are flattened into the parent object. */
function structCodec(name: string, size: number, fields: Field[], union: boolean): FieldsCodec {
  const keys = fields.flatMap((f) => (f.name ? [f.name] : isFields(f.codec) ? f.codec.keys : []));
  const known = new Set(keys);
  const encodeFields = (dv: DataView, at: number, obj: Record<string, unknown>, path: string): void => {
    for (const f of fields) {
      if (!f.name) {
        if (isFields(f.codec)) f.codec.encodeFields(dv, at + f.offset, obj, path);
        continue;
      }
      if (obj[f.name] === undefined) {
        if (union) continue;
        throw new EncodeError(`${path}: missing field '${f.name}' of ${name}`);
      }
      f.codec.encode(dv, at + f.offset, obj[f.name], `${path}.${f.name}`);
    }
  };
  return {
    size, name, keys, encodeFields,
    decode: literalDecoder(fields),
    encode: (dv, at, v, path) => {
      if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) throw new EncodeError(`${path}: expected an object (${name}), got ${show(v)}`);
      const obj = v as Record<string, unknown>;
      const extra = Object.keys(obj).find((k) => !known.has(k));
      if (extra !== undefined) throw new EncodeError(`${path}: ${name} has no field '${extra}' (fields: ${keys.join(", ")})`);
      encodeFields(dv, at, obj, path);
    },
  };
}

/** `(dv, at) => ({ "a": d[0](dv, at + 0), ...d[1](dv, at + 8) })`, compiled once per
 *  struct type: every object it makes has one shape, which decodes a record several times
 *  faster than adding properties in a loop (the ring buffer's hot path). The generated
 *  text holds only JSON-quoted field names and numeric offsets. */
function literalDecoder(fields: Field[]): Codec["decode"] {
  const body = fields.map((f, i) => `${f.name ? `${JSON.stringify(f.name)}: ` : "..."}d[${i}](dv, at + ${f.offset})`).join(", ");
  return new Function("d", `return (dv, at) => ({ ${body} });`)(fields.map((f) => f.codec.decode)) as Codec["decode"];
}

/** A DataView over exactly these bytes. */
export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `value` encoded in `size` zeroed bytes. */
export function encode(codec: Codec, size: number, value: unknown, path: string): Uint8Array {
  const bytes = new Uint8Array(size);
  codec.encode(view(bytes), 0, value, path);
  return bytes;
}

/** Bytes as they are, for objects without BTF: decodes to a copy, encodes from one of
 *  exactly `size` bytes. */
export function rawCodec(size: number): Codec {
  return {
    size, name: `${size} bytes`,
    decode: (dv, at) => new Uint8Array(dv.buffer.slice(dv.byteOffset + at, dv.byteOffset + at + size)),
    encode: (dv, at, v, path) => {
      if (!(v instanceof Uint8Array) || v.length !== size) throw new EncodeError(`${path}: expected a Uint8Array of ${size} bytes, got ${show(v)}`);
      new Uint8Array(dv.buffer, dv.byteOffset + at, size).set(v);
    },
  };
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return "an array";
  if (v instanceof Uint8Array) return `a Uint8Array of ${v.length} bytes`;
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : String(v);
}
