// Builds small raw BTF blobs byte by byte for tests: every kind, kind_flag bitfields,
// forward references (declare an id, define it later), split BTF and big-endian output.
// In: types added in id order. Out: the blob's bytes.
// Written from the BTF format documentation, independently of compiler/debuginfo.

type Word = number;

interface Rec { name: string; info: number; sizeOrType: number; tail: Word[]; tailStrings: number[] }

export class BtfBlobBuilder {
  private readonly recs: (Rec | undefined)[] = [];
  private readonly strs: string[] = [""];
  private readonly strOff = new Map<string, number>([["", 0]]);
  private strLen = 1;

  /** For split BTF: ids continue after `baseTypes`, string offsets after `baseStrLen`. */
  constructor(private readonly baseTypes = 0, private readonly baseStrLen = 0) {}

  str(s: string): number {
    let o = this.strOff.get(s);
    if (o === undefined) {
      o = this.baseStrLen + this.strLen;
      this.strOff.set(s, o);
      this.strs.push(s);
      this.strLen += Buffer.byteLength(s, "latin1") + 1;
    }
    return o;
  }

  /** Reserves the next id, to be filled by define(). */
  declare(): number {
    this.recs.push(undefined);
    return this.baseTypes + this.recs.length;
  }

  private put(rec: Rec, at?: number): number {
    if (at !== undefined) {
      this.recs[at - this.baseTypes - 1] = rec;
      return at;
    }
    this.recs.push(rec);
    return this.baseTypes + this.recs.length;
  }

  raw(kind: number, name: string, vlen: number, kflag: boolean, sizeOrType: number, tail: Word[] = [], at?: number): number {
    const info = ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;
    return this.put({ name, info: info >>> 0, sizeOrType, tail, tailStrings: [] }, at);
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, bitOffset = 0, at?: number): number {
    return this.raw(1, name, 0, false, size, [(encoding << 24) | (bitOffset << 16) | bits], at);
  }
  ptr(type: number, at?: number): number { return this.raw(2, "", 0, false, type, [], at); }
  array(elem: number, index: number, nelems: number, at?: number): number {
    return this.raw(3, "", 0, false, 0, [elem, index, nelems], at);
  }
  /** members: [name, type, bitOffset, bitfieldSize?]; kflag is set when any has a size. */
  struct(name: string, size: number, members: [string, number, number, number?][], at?: number, union = false): number {
    const kflag = members.some((m) => (m[3] ?? 0) > 0);
    const tail: Word[] = [];
    for (const [n, t, off, bits] of members) tail.push(this.str(n), t, kflag ? ((bits ?? 0) << 24) | off : off);
    return this.raw(union ? 5 : 4, name, members.length, kflag, size, tail, at);
  }
  union(name: string, size: number, members: [string, number, number, number?][], at?: number): number {
    return this.struct(name, size, members, at, true);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    const tail: Word[] = [];
    for (const [n, v] of values) tail.push(this.str(n), v >>> 0);
    return this.raw(6, name, values.length, signed, size, tail);
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const tail: Word[] = [];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      tail.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.raw(19, name, values.length, signed, size, tail);
  }
  fwd(name: string, union = false): number { return this.raw(7, name, 0, union, 0); }
  typedef(name: string, type: number): number { return this.raw(8, name, 0, false, type); }
  volatile(type: number): number { return this.raw(9, "", 0, false, type); }
  const(type: number): number { return this.raw(10, "", 0, false, type); }
  restrict(type: number): number { return this.raw(11, "", 0, false, type); }
  func(name: string, proto: number, linkage = 1): number { return this.raw(12, name, linkage, false, proto); }
  proto(ret: number, params: [string, number][]): number {
    const tail: Word[] = [];
    for (const [n, t] of params) tail.push(this.str(n), t);
    return this.raw(13, "", params.length, false, ret, tail);
  }
  var(name: string, type: number, linkage = 1): number { return this.raw(14, name, 0, false, type, [linkage]); }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.raw(15, name, vars.length, false, size, vars.flat());
  }
  float(name: string, size: number): number { return this.raw(16, name, 0, false, size); }
  declTag(name: string, type: number, componentIdx: number): number {
    return this.raw(17, name, 0, false, type, [componentIdx >>> 0]);
  }
  typeTag(name: string, type: number): number { return this.raw(18, name, 0, false, type); }

  build(opts: { bigEndian?: boolean } = {}): Uint8Array {
    const le = !opts.bigEndian;
    const words: number[] = [];
    for (const r of this.recs) {
      if (!r) throw new Error("declared id never defined");
      words.push(this.str(r.name), r.info, r.sizeOrType, ...r.tail);
    }
    const typeLen = words.length * 4;
    const strBytes = Buffer.concat(this.strs.map((s) => Buffer.concat([Buffer.from(s, "latin1"), Buffer.of(0)])));
    const hdrLen = 24;
    const out = new Uint8Array(hdrLen + typeLen + strBytes.length);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, 0xeb9f, le);
    dv.setUint8(2, 1);
    dv.setUint8(3, 0);
    dv.setUint32(4, hdrLen, le);
    dv.setUint32(8, 0, le);
    dv.setUint32(12, typeLen, le);
    dv.setUint32(16, typeLen, le);
    dv.setUint32(20, strBytes.length, le);
    words.forEach((w, i) => dv.setUint32(hdrLen + 4 * i, w >>> 0, le));
    out.set(strBytes, hdrLen + typeLen);
    return out;
  }

  get stringSectionLength(): number { return this.strLen; }
  get typeCount(): number { return this.recs.length; }
}
