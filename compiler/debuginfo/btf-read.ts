// Reads a raw BTF blob (the kernel's /sys/kernel/btf/vmlinux, a module's split BTF, or a
// .BTF section) into a lazily decoded type table.
// In: the blob's bytes (and, for split BTF, the base table). Out: a BtfTable that knows
// each type's kind and name at once, decodes a type's body (members, params, values) only
// when asked, and finds FUNC / STRUCT+UNION / TYPEDEF / ENUM / FWD types by name.
// Construction is one pass over the type section that records where each record starts;
// a lookup by name searches the string section and then the records' name offsets, so a
// compile that looks up a few names builds no index. Both take milliseconds for vmlinux.

/** BTF kinds by their wire number (BTF_KIND_*). Index 0 is void (type id 0). */
export const BTF_KINDS = [
  "void", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile",
  "const", "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag",
  "type_tag", "enum64",
] as const;
export type BtfKindName = (typeof BTF_KINDS)[number];

/** INT encoding bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

export interface RawVoid { kind: "void"; id: 0; name: "" }
export interface RawInt {
  kind: "int"; id: number; name: string; size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL */
  encoding: number;
  /** Old-style bitfield encoding: bit offset and width inside the int. */
  bitOffset: number; bits: number;
}
export interface RawRef {
  kind: "ptr" | "typedef" | "volatile" | "const" | "restrict" | "type_tag";
  id: number; name: string; type: number;
}
export interface RawArray { kind: "array"; id: number; name: string; elem: number; index: number; nelems: number }
export interface RawMember {
  name: string; type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield in bits (kflag encoding), 0 for an ordinary member. */
  bitfieldSize: number;
}
export interface RawComposite {
  kind: "struct" | "union"; id: number; name: string; size: number;
  /** True when member offsets carry bitfield sizes (kind_flag). */
  kflag: boolean;
  members: RawMember[];
}
export interface RawEnum {
  kind: "enum"; id: number; name: string; size: number; signed: boolean;
  values: { name: string; value: number }[];
}
export interface RawEnum64 {
  kind: "enum64"; id: number; name: string; size: number; signed: boolean;
  values: { name: string; value: bigint }[];
}
export interface RawFwd { kind: "fwd"; id: number; name: string; union: boolean }
export interface RawFunc {
  kind: "func"; id: number; name: string; proto: number;
  /** 0 static, 1 global, 2 extern. */
  linkage: number;
}
export interface RawParam { name: string; type: number }
export interface RawFuncProto {
  kind: "func_proto"; id: number; name: string; ret: number; params: RawParam[];
  /** The last parameter was `...` (an unnamed parameter of type 0, not in `params`). */
  variadic: boolean;
}
export interface RawVar { kind: "var"; id: number; name: string; type: number; linkage: number }
export interface RawDatasec {
  kind: "datasec"; id: number; name: string; size: number;
  vars: { type: number; offset: number; size: number }[];
}
export interface RawFloat { kind: "float"; id: number; name: string; size: number }
export interface RawDeclTag {
  kind: "decl_tag"; id: number; name: string; type: number;
  /** -1 tags the type itself; otherwise a member or parameter index. */
  componentIdx: number;
}

export type RawType =
  | RawVoid | RawInt | RawRef | RawArray | RawComposite | RawEnum | RawEnum64 | RawFwd
  | RawFunc | RawFuncProto | RawVar | RawDatasec | RawFloat | RawDeclTag;

export class BtfError extends Error {}

const BTF_MAGIC = 0xeb9f;
const HDR_MIN = 24;

/** Bytes that follow the 12-byte btf_type record: FIXED[kind] + PER_VLEN[kind] * vlen.
 *  INT, VAR and DECL_TAG carry one word; ARRAY a btf_array; STRUCT/UNION a btf_member,
 *  ENUM a btf_enum, FUNC_PROTO a btf_param, DATASEC a btf_var_secinfo and ENUM64 a
 *  btf_enum64 per vlen. -1 marks kinds this reader does not know. */
const TAIL_FIXED = new Int32Array(32).fill(-1);
const TAIL_PER_VLEN = new Int32Array(32);
for (let k = 1; k <= 19; k++) TAIL_FIXED[k] = 0;
TAIL_FIXED[1] = 4; TAIL_FIXED[3] = 12; TAIL_FIXED[14] = 4; TAIL_FIXED[17] = 4;
TAIL_PER_VLEN[4] = 12; TAIL_PER_VLEN[5] = 12; TAIL_PER_VLEN[6] = 8; TAIL_PER_VLEN[13] = 8;
TAIL_PER_VLEN[15] = 12; TAIL_PER_VLEN[19] = 12;

/** Groups of kinds that share a name index. */
export type NameSpace = "func" | "composite" | "typedef" | "enum" | "fwd" | "var";

function nameSpaceOf(kind: number): NameSpace | undefined {
  switch (kind) {
    case 12: return "func";
    case 4: case 5: return "composite";
    case 8: return "typedef";
    case 6: case 19: return "enum";
    case 7: return "fwd";
    case 14: return "var";
    default: return undefined;
  }
}

export interface ParseOptions {
  /** For split BTF (kernel modules): the table its ids and string offsets continue. */
  base?: BtfTable;
}

/** Lookups in one name space answered by scanning before a full index is built. */
const INDEX_AFTER = 16;

export class BtfTable {
  /** Id of this blob's first type (1, or one past the base's last id for split BTF). */
  readonly firstId: number;
  /** One past the last type id. */
  readonly endId: number;
  readonly base?: BtfTable;
  readonly littleEndian: boolean;
  private readonly w: Uint32Array;         // the type section as host-order words
  private readonly offsets: Uint32Array;   // word index of each record in w, by id - firstId
  private readonly nameOffs: Uint32Array;  // each record's name_off, by id - firstId
  private readonly kinds: Uint8Array;      // each record's kind number, by id - firstId
  private readonly strings: Buffer;        // the string section (a view, not a copy)
  private readonly strBase: number;        // string offsets below this are the base's
  private readonly decoded: (RawType | undefined)[];
  private readonly lookups = new Map<string, number[]>();
  private readonly lookupCount = new Map<NameSpace, number>();
  private readonly indexes = new Map<NameSpace, Map<string, number[]>>();

  constructor(bytes: Uint8Array, opts: ParseOptions = {}) {
    if (bytes.length < HDR_MIN) throw new BtfError(`BTF blob too short (${bytes.length} bytes)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let le = true;
    if (dv.getUint16(0, true) !== BTF_MAGIC) {
      if (dv.getUint16(0, false) !== BTF_MAGIC) {
        throw new BtfError(`not BTF: magic 0x${dv.getUint16(0, true).toString(16)}, expected 0xeb9f`);
      }
      le = false;
    }
    this.littleEndian = le;
    const version = dv.getUint8(2);
    if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`);
    const hdrLen = dv.getUint32(4, le);
    const typeOff = dv.getUint32(8, le), typeLen = dv.getUint32(12, le);
    const strOff = dv.getUint32(16, le), strLen = dv.getUint32(20, le);
    if (hdrLen < HDR_MIN || hdrLen + typeOff + typeLen > bytes.length || hdrLen + strOff + strLen > bytes.length) {
      throw new BtfError(`BTF header sections lie outside the ${bytes.length}-byte blob`);
    }
    if (typeLen % 4 !== 0) throw new BtfError(`type section length ${typeLen} is not a multiple of 4`);
    this.base = opts.base;
    this.firstId = opts.base ? opts.base.endId : 1;
    this.strBase = opts.base ? opts.base.strBase + opts.base.strings.length : 0;
    this.strings = Buffer.from(bytes.buffer, bytes.byteOffset + hdrLen + strOff, strLen);
    if (strLen > 0 && this.strings[strLen - 1] !== 0) throw new BtfError("string section does not end with NUL");
    this.w = hostWords(bytes, hdrLen + typeOff, typeLen, le);

    // One pass: where each record starts, and its kind and name offset side by side, so
    // lookups scan compact arrays (natively, with TypedArray.indexOf).
    const w = this.w, end = w.length;
    const max = Math.floor(end / 3);           // a record is at least 3 words
    const offsets = new Uint32Array(max), nameOffs = new Uint32Array(max), kinds = new Uint8Array(max);
    let n = 0;
    for (let p = 0; p < end;) {
      if (p + 3 > end) throw new BtfError(`truncated type record at byte ${4 * p} of the type section`);
      const info = w[p + 1];
      const kind = (info >>> 24) & 0x1f;
      const fixed = TAIL_FIXED[kind];
      if (fixed < 0) throw new BtfError(`unknown BTF kind ${kind} (type id ${this.firstId + n})`);
      offsets[n] = p;
      nameOffs[n] = w[p];
      kinds[n] = kind;
      n++;
      p += 3 + ((fixed + TAIL_PER_VLEN[kind] * (info & 0xffff)) >>> 2);
      if (p > end) throw new BtfError(`truncated type record (type id ${this.firstId + n - 1})`);
    }
    this.offsets = offsets.subarray(0, n);
    this.nameOffs = nameOffs.subarray(0, n);
    this.kinds = kinds.subarray(0, n);
    this.endId = this.firstId + n;
    this.decoded = new Array(n);
  }

  /** Number of types in this blob (not counting the base). */
  get count(): number { return this.endId - this.firstId; }

  /** True for 0 (void) and every id of this table or its base. */
  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.endId;
  }

  /** The string at a string-section offset. */
  str(off: number): string {
    if (off < this.strBase) {
      if (!this.base) throw new BtfError(`string offset ${off} out of range`);
      return this.base.str(off);
    }
    const o = off - this.strBase;
    const b = this.strings;
    if (o >= b.length) throw new BtfError(`string offset ${off} out of range`);
    // Names are short: a byte loop beats the native calls' overhead.
    let e = o;
    while (e < b.length && b[e] !== 0) e++;
    if (e - o > 32) return b.toString("latin1", o, e);
    let out = "";
    for (let i = o; i < e; i++) out += String.fromCharCode(b[i]);
    return out;
  }

  private rec(id: number): number {
    if (!(id >= this.firstId && id < this.endId)) throw new BtfError(`type id ${id} out of range (1..${this.endId - 1})`);
    return this.offsets[id - this.firstId];
  }

  /** A type's kind, without decoding it. */
  kindOf(id: number): BtfKindName {
    if (id === 0) return "void";
    if (id < this.firstId && this.base) return this.base.kindOf(id);
    this.rec(id); // range check
    return BTF_KINDS[this.kinds[id - this.firstId]];
  }

  /** A type's name ("" when anonymous), without decoding it. */
  nameOf(id: number): string {
    if (id === 0) return "";
    if (id < this.firstId && this.base) return this.base.nameOf(id);
    this.rec(id); // range check
    return this.str(this.nameOffs[id - this.firstId]);
  }

  /** The size_or_type word: the type a PTR/TYPEDEF/modifier/FUNC/VAR/DECL_TAG refers to. */
  refOf(id: number): number {
    if (id < this.firstId && this.base) return this.base.refOf(id);
    return this.w[this.rec(id) + 2];
  }

  /** Follows typedefs and const/volatile/restrict/type_tag modifiers to the underlying id. */
  skipModsAndTypedefs(id: number): number {
    for (let guard = 0; guard < 64; guard++) {
      const k = this.kindOf(id);
      if (k !== "typedef" && k !== "const" && k !== "volatile" && k !== "restrict" && k !== "type_tag") return id;
      id = this.refOf(id);
    }
    throw new BtfError(`typedef/modifier chain too long at type id ${id}`);
  }

  /** Decodes one type (cached). */
  type(id: number): RawType {
    if (id === 0) return { kind: "void", id: 0, name: "" };
    if (id < this.firstId && this.base) return this.base.type(id);
    const i = id - this.firstId;
    let t = this.decoded[i];
    if (!t) t = this.decoded[i] = this.decode(id);
    return t;
  }

  private decode(id: number): RawType {
    const w = this.w;
    const p = this.rec(id);
    const name = this.str(w[p]);
    const info = w[p + 1];
    const vlen = info & 0xffff;
    const kflag = (info >>> 31) === 1;
    const kindNo = (info >>> 24) & 0x1f;
    const sizeOrType = w[p + 2];
    const q = p + 3;
    const kind = BTF_KINDS[kindNo];
    switch (kind) {
      case "int": {
        const enc = w[q];
        return { kind, id, name, size: sizeOrType, encoding: (enc >>> 24) & 0x0f, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff };
      }
      case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
        return { kind, id, name, type: sizeOrType };
      case "array":
        return { kind, id, name, elem: w[q], index: w[q + 1], nelems: w[q + 2] };
      case "struct": case "union": {
        const members: RawMember[] = [];
        for (let j = 0; j < vlen; j++) {
          const m = q + 3 * j;
          const off = w[m + 2];
          members.push({
            name: this.str(w[m]),
            type: w[m + 1],
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        return { kind, id, name, size: sizeOrType, kflag, members };
      }
      case "enum": {
        const values: { name: string; value: number }[] = [];
        for (let j = 0; j < vlen; j++) {
          const e = q + 2 * j;
          values.push({ name: this.str(w[e]), value: kflag ? w[e + 1] | 0 : w[e + 1] });
        }
        return { kind, id, name, size: sizeOrType, signed: kflag, values };
      }
      case "enum64": {
        const values: { name: string; value: bigint }[] = [];
        for (let j = 0; j < vlen; j++) {
          const e = q + 3 * j;
          const bits = (BigInt(w[e + 2]) << 32n) | BigInt(w[e + 1]);
          values.push({ name: this.str(w[e]), value: kflag ? BigInt.asIntN(64, bits) : bits });
        }
        return { kind, id, name, size: sizeOrType, signed: kflag, values };
      }
      case "fwd":
        return { kind, id, name, union: kflag };
      case "func":
        return { kind, id, name, proto: sizeOrType, linkage: vlen };
      case "func_proto": {
        const params: RawParam[] = [];
        let variadic = false;
        for (let j = 0; j < vlen; j++) {
          const e = q + 2 * j;
          const pname = this.str(w[e]);
          const ptype = w[e + 1];
          if (j === vlen - 1 && ptype === 0 && pname === "") variadic = true;
          else params.push({ name: pname, type: ptype });
        }
        return { kind, id, name, ret: sizeOrType, params, variadic };
      }
      case "var":
        return { kind, id, name, type: sizeOrType, linkage: w[q] };
      case "datasec": {
        const vars: { type: number; offset: number; size: number }[] = [];
        for (let j = 0; j < vlen; j++) {
          const e = q + 3 * j;
          vars.push({ type: w[e], offset: w[e + 1], size: w[e + 2] });
        }
        return { kind, id, name, size: sizeOrType, vars };
      }
      case "float":
        return { kind, id, name, size: sizeOrType };
      case "decl_tag":
        return { kind, id, name, type: sizeOrType, componentIdx: w[q] | 0 };
      default:
        throw new BtfError(`unknown BTF kind ${kindNo} (type id ${id})`);
    }
  }

  /** Offsets (relative to this blob's strings) where `name` is stored as a whole string. */
  private stringOffsets(name: string): number[] {
    const found: number[] = [];
    if (name === "" || name.includes("\0")) return found;
    const body = Buffer.from(name, "latin1");
    const needle = Buffer.concat([Buffer.of(0), body, Buffer.of(0)]);
    const s = this.strings;
    if (s.length > body.length && s.subarray(0, body.length + 1).equals(needle.subarray(1))) found.push(0);
    for (let at = s.indexOf(needle); at >= 0; at = s.indexOf(needle, at + 1)) found.push(at + 1);
    return found;
  }

  /** Every id with this name in a name space, lowest first (base ids before this blob's).
   *  The first few lookups build no index: the name is searched in the string section
   *  (natively, about a millisecond for vmlinux), then the records whose name offset
   *  matches are picked out. Tools that look up many names (`bpftsc types`) get a full
   *  index of the name space after INDEX_AFTER lookups. */
  idsByName(ns: NameSpace, name: string): number[] {
    const own = this.ownIdsByName(ns, name);
    return this.base ? [...this.base.idsByName(ns, name), ...own] : own;
  }

  private ownIdsByName(ns: NameSpace, name: string): number[] {
    const index = this.indexes.get(ns);
    if (index) return index.get(name) ?? [];
    const key = ns + ":" + name;
    let own = this.lookups.get(key);
    if (own) return own;
    const n = (this.lookupCount.get(ns) ?? 0) + 1;
    this.lookupCount.set(ns, n);
    if (n > INDEX_AFTER) {
      const built = this.buildIndex(ns);
      this.indexes.set(ns, built);
      return built.get(name) ?? [];
    }
    own = [];
    const names = this.nameOffs, kinds = this.kinds;
    for (const o of this.stringOffsets(name)) {
      const off = o + this.strBase;
      for (let i = names.indexOf(off); i >= 0; i = names.indexOf(off, i + 1)) {
        if (nameSpaceOf(kinds[i]) === ns) own.push(this.firstId + i);
      }
    }
    if (own.length > 1) own.sort((a, b) => a - b);
    this.lookups.set(key, own);
    return own;
  }

  private buildIndex(ns: NameSpace): Map<string, number[]> {
    const index = new Map<string, number[]>();
    const names = this.nameOffs, kinds = this.kinds;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === 0 || nameSpaceOf(kinds[i]) !== ns) continue;
      const name = this.str(names[i]);
      const ids = index.get(name);
      if (ids) ids.push(this.firstId + i);
      else index.set(name, [this.firstId + i]);
    }
    return index;
  }

  /** Every name in a name space (for "did you mean" lists); one full pass, not cached. */
  names(ns: NameSpace): string[] {
    const out = new Set<string>(this.base ? this.base.names(ns) : []);
    const names = this.nameOffs, kinds = this.kinds;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== 0 && nameSpaceOf(kinds[i]) === ns) out.add(this.str(names[i]));
    }
    return [...out];
  }

  /** Every id of this blob whose kind is in `kinds`, in id order. */
  idsOfKind(...kinds: BtfKindName[]): number[] {
    const out: number[] = [];
    for (const k of new Set(kinds)) {
      const kn = BTF_KINDS.indexOf(k);
      for (let i = this.kinds.indexOf(kn); i >= 0; i = this.kinds.indexOf(kn, i + 1)) out.push(this.firstId + i);
    }
    return kinds.length > 1 ? out.sort((a, b) => a - b) : out;
  }
}

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The type section as host-order 32-bit words: a view when the bytes are
 *  aligned and little-endian, else a copy (byte-swapped for big-endian BTF). */
function hostWords(bytes: Uint8Array, start: number, len: number, le: boolean): Uint32Array {
  const at = bytes.byteOffset + start;
  if (le && HOST_LE && at % 4 === 0) return new Uint32Array(bytes.buffer, at, len / 4);
  const out = new Uint32Array(len / 4);
  const dv = new DataView(bytes.buffer, at, len);
  const host = new DataView(out.buffer);
  for (let i = 0; i < out.length; i++) host.setUint32(4 * i, dv.getUint32(4 * i, le), HOST_LE);
  return out;
}

/** Parses a BTF blob. Throws BtfError on a malformed header or type section. */
export function parseBtf(bytes: Uint8Array, opts: ParseOptions = {}): BtfTable {
  return new BtfTable(bytes, opts);
}
