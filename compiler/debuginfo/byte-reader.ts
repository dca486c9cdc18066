// Little-endian cursor over a byte array, for the ELF and DWARF readers.
// In: bytes and a start position. Out: fixed-width integers, LEB128 numbers (as JS numbers
// or bigints), NUL-terminated strings and sub-arrays, advancing the position.

const utf8 = new TextDecoder("utf-8");
/** One DataView per byte array: readers are created often (one per DIE read). */
const views = new WeakMap<Uint8Array, DataView>();

export class DebugFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DebugFormatError";
  }
}

export class ByteReader {
  readonly data: Uint8Array;
  readonly view: DataView;
  pos: number;

  constructor(data: Uint8Array, pos = 0) {
    this.data = data;
    let view = views.get(data);
    if (!view) {
      view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      views.set(data, view);
    }
    this.view = view;
    this.pos = pos;
  }

  get length(): number {
    return this.data.length;
  }

  atEnd(limit = this.data.length): boolean {
    return this.pos >= limit;
  }

  private need(n: number): void {
    if (this.pos + n > this.data.length) {
      throw new DebugFormatError(`read of ${n} bytes at ${this.pos} runs past the end (${this.data.length})`);
    }
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const d = this.data;
    const p = this.pos;
    this.pos += 3;
    return d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A 64-bit value as a JS number (exact below 2^53; offsets and sizes fit). */
  u64n(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }

  /** An unsigned value of `size` bytes (1, 2, 4 or 8) as a bigint. */
  uSized(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.u8());
      case 2: return BigInt(this.u16());
      case 4: return BigInt(this.u32());
      case 8: return this.u64();
      default: throw new DebugFormatError(`unsupported value size ${size}`);
    }
  }

  /** A signed value of `size` bytes (1, 2, 4 or 8) as a bigint. */
  sSized(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.i8());
      case 2: return BigInt(this.i16());
      case 4: return BigInt(this.i32());
      case 8: return this.i64();
      default: throw new DebugFormatError(`unsupported value size ${size}`);
    }
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offset(is64: boolean): number {
    return is64 ? this.u64n() : this.u32();
  }

  uleb(): number {
    const d = this.data;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= d.length) throw new DebugFormatError("LEB128 runs past the end");
      const b = d[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }

  sleb(): number {
    const d = this.data;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= d.length) throw new DebugFormatError("LEB128 runs past the end");
      const b = d[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul;
        return result;
      }
    }
  }

  ulebBig(): bigint {
    const d = this.data;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= d.length) throw new DebugFormatError("LEB128 runs past the end");
      const b = d[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }

  slebBig(): bigint {
    const d = this.data;
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= d.length) throw new DebugFormatError("LEB128 runs past the end");
      const b = d[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }

  /** Skips a LEB128 number without decoding it. */
  skipLeb(): void {
    const d = this.data;
    while (this.pos < d.length && (d[this.pos++]! & 0x80) !== 0) { /* continue */ }
  }

  cstr(): string {
    const d = this.data;
    const start = this.pos;
    let end = start;
    while (end < d.length && d[end] !== 0) end++;
    if (end >= d.length) throw new DebugFormatError(`unterminated string at ${start}`);
    this.pos = end + 1;
    return utf8.decode(d.subarray(start, end));
  }

  skipCstr(): void {
    const d = this.data;
    let p = this.pos;
    while (p < d.length && d[p] !== 0) p++;
    this.pos = p + 1;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** The NUL-terminated string at `offset` of a string section, or undefined if out of range. */
export function cstrAt(data: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= data.length) return undefined;
  let end = offset;
  let ascii = true;
  while (end < data.length && data[end] !== 0) {
    if (data[end]! >= 0x80) ascii = false;
    end++;
  }
  if (ascii && end - offset <= 128) {
    // Short ASCII names (nearly all identifiers): cheaper than TextDecoder.
    let s = "";
    for (let i = offset; i < end; i++) s += String.fromCharCode(data[i]!);
    return s;
  }
  return utf8.decode(data.subarray(offset, end));
}

/** True when the NUL-terminated string at `offset` is exactly `want` (encoded bytes), without decoding it. */
export function cstrEquals(data: Uint8Array, offset: number, want: Uint8Array): boolean {
  if (offset < 0 || offset + want.length >= data.length) return false;
  for (let i = 0; i < want.length; i++) if (data[offset + i] !== want[i]) return false;
  return data[offset + want.length] === 0;
}
