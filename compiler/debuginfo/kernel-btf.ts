// Kernel types for the frontend, from BTF.
// In: a BTF blob (default /sys/kernel/btf/vmlinux, read once per path per process).
// Out: kernel function prototypes as CTypes (handler parameters bind to them by name),
// struct/union layouts as StructTypes (unions as unions, anonymous struct and union
// members as members named "", as BTF has them), each struct's members flattened as C
// names them (structMembers), CO-RE field access paths within one struct, and named
// enums as EnumTypes (kernelEnum).
//
// Conversion rules: typedefs and const/volatile/restrict/type tags are skipped; integers
// become u8..u64/i8..i64 by size and the BTF signedness bit (`_Bool` becomes bool; note
// that `char` is unsigned in kernels built with -funsigned-char, as x86 is since 6.2, and
// its BTF says so); enums become integers of their size; pointers become kernel-space Ptrs
// (user-space when a `user` type tag is on the pointee) whose pointee is converted on first
// use, so struct graphs with cycles convert only as far as the frontend looks; function
// pointers become Ptr<void>; floats, 128-bit integers and bitfields are not represented
// and are left out of structs (structMembers says why). An untagged composite has the
// name of the typedef that names it (`typedef struct { ... } atomic_t`), else "".
//
// CO-RE: fieldAccess covers a path inside ONE struct (through embedded structs, unions and
// array elements). A pointer member ends the path: `file.f_inode.i_ino` is two reads and
// two relocations, fieldAccess("file", ["f_inode"]) then fieldAccess("inode", ["i_ino"]).

import { readFileSync, statSync } from "node:fs";
import {
  BOOL, I16, I32, I64, I8, U16, U32, U64, U8, VOID,
  type ArrayType, type CType, type EnumType, type IntType, type PtrType, type StructType,
} from "../types/ctype.js";
import {
  BTF_INT_BOOL, BTF_INT_SIGNED, parseBtf, type BtfKindName, type BtfTable, type RawComposite, type RawEnum, type RawEnum64,
} from "./btf-read.js";

export class KernelBtf {
  /** Converted types by BTF id (typedefs and modifiers already skipped). */
  readonly ctypes = new Map<number, CType | Unsupported>();
  readonly ptrs = new Map<number, PtrType>();
  readonly members = new Map<number, KernelMember[]>();
  readonly aligns = new Map<number, number>();
  readonly structIds = new WeakMap<StructType, number>();
  readonly enums = new Map<number, EnumType | undefined>();
  anonNames?: Map<number, string>;
  constructor(readonly path: string, readonly table: BtfTable) {}
}

export interface KernelParam { name: string; type: CType; /** BTF id of the declared type. */ typeId: number }

export interface KernelFunction {
  name: string;
  params: KernelParam[];
  ret: CType;
  /** BTF id of the declared result type. */
  retTypeId: number;
  /** Declared with `...`: more arguments may follow `params`. */
  variadic: boolean;
  /** BTF id of the FUNC. */
  id: number;
}

/** One member of a struct after flattening anonymous struct/union members into it (the
 *  StructType keeps those as members of their own). */
export interface KernelMember {
  name: string;
  /** Byte offset from the start of the outermost struct (bitfields: of the containing byte). */
  offset: number;
  bitOffset: number;
  /** Width in bits of a bitfield; 0 for an ordinary member. */
  bitfieldSize: number;
  /** BTF id of the member's declared type (typedefs and modifiers not skipped). */
  typeId: number;
  /** Member indices from the outermost struct down to this member, anonymous hops included. */
  path: number[];
  /** The member's type; absent when the member cannot be represented (see `omitted`). */
  type?: CType;
  /** Why the member is not a field of the StructType: "bitfield", "floating point", ... */
  omitted?: string;
}

export interface FieldAccess {
  /** BTF id (in the kernel's BTF) of the root struct/union, typedefs skipped. */
  typeId: number;
  /** The root as a StructType (the type the frontend's pointer points at). */
  root: StructType;
  /** libbpf CO-RE raw access spec against the KERNEL's BTF layout of the root: 0 for the
   *  pointer dereference, then one member index per level with anonymous struct/union
   *  members as their own hops, and element indices for arrays ("0:10:1" style). */
  accessIndices: number[];
  /** Byte offset of the field from the start of the root, on this kernel. */
  offset: number;
  /** The field's type. */
  type: CType;
  /** BTF id of the field's declared type. */
  fieldTypeId: number;
  /** The root's BTF kind. libbpf only matches a local root of the same kind. */
  rootKind: "struct" | "union";
  /** The field's BTF kind, typedefs and modifiers skipped. libbpf's field compatibility
   *  check wants the same kind locally ("enum" and "enum64" match each other; "int" does
   *  not match "enum"), so a local .BTF should describe an enum field as an ENUM. */
  fieldKind: BtfKindName;
}

/** What convert() gives for a type the probe language cannot represent. */
export interface Unsupported { kind: "unsupported"; reason: string }

const cache = new Map<string, KernelBtf>();

/** Reads and indexes a BTF file once per version of the file per process. Throws (ENOENT, BtfError) when
 *  the file is missing or malformed. */
export function loadKernelBtf(path = "/sys/kernel/btf/vmlinux"): KernelBtf {
  // Keyed by the file's identity too, so a long-running process (a loader, a language
  // server) never reads a rewritten file through a stale entry.
  const st = statSync(path);
  const key = `${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  let k = cache.get(key);
  if (!k) {
    k = kernelBtfFromBytes(readFileSync(path), path);
    for (const old of cache.keys()) if (old.startsWith(`${path}\0`)) cache.delete(old);
    cache.set(key, k);
  }
  return k;
}

/** A KernelBtf over bytes already in memory (fixtures, .BTF sections); not cached. */
export function kernelBtfFromBytes(bytes: Uint8Array, path = "<memory>"): KernelBtf {
  return new KernelBtf(path, parseBtf(bytes));
}

/** The prototype of a kernel function (a BTF FUNC), or undefined when BTF has none. */
export function kernelFunction(btf: KernelBtf, name: string): KernelFunction | undefined {
  const t = btf.table;
  const id = t.idsByName("func", name)[0];
  if (id === undefined) return undefined;
  const func = t.type(id);
  if (func.kind !== "func") return undefined;
  const proto = t.type(func.proto);
  if (proto.kind !== "func_proto") return undefined;
  return {
    name,
    params: proto.params.map((p, i) => ({ name: p.name || `arg${i}`, type: toCType(btf, p.type), typeId: p.type })),
    ret: toCType(btf, proto.ret),
    retTypeId: proto.ret,
    variadic: proto.variadic,
    id,
  };
}

/** A raw tracepoint's arguments (tp_btf, raw_tp), from BTF's `btf_trace_<event>`: a
 *  pointer to `void (void *__data, <args>)`; the leading __data is not an argument. */
export function tracepointPrototype(btf: KernelBtf, event: string): KernelFunction | undefined {
  const t = btf.table;
  const id = t.idsByName("typedef", `btf_trace_${event}`)[0];
  if (id === undefined) return undefined;
  const proto = t.type(t.skipModsAndTypedefs(t.refOf(t.skipModsAndTypedefs(id))));
  if (proto.kind !== "func_proto" || proto.params.length === 0) return undefined;
  return {
    name: event,
    params: proto.params.slice(1).map((p, i) => ({ name: p.name || `arg${i}`, type: toCType(btf, p.type), typeId: p.type })),
    ret: { kind: "void" },
    retTypeId: 0,
    variadic: false,
    id,
  };
}

/** BTF id of the struct or union called `name` ("file", "struct file", or a typedef naming
 *  one, e.g. "atomic_t"). When several structs share the name (vmlinux has a few, e.g. two
 *  `dma_chan`), the one with the most members wins, then the lowest id. */
export function lookupStructId(btf: KernelBtf, name: string): number | undefined {
  const t = btf.table;
  const bare = name.replace(/^(struct|union)\s+/, "");
  const ids = t.idsByName("composite", bare);
  if (ids.length === 1) return ids[0];
  if (ids.length > 1) {
    let best = ids[0], bestN = -1;
    for (const id of ids) {
      const n = (t.type(id) as RawComposite).members.length;
      if (n > bestN) { best = id; bestN = n; }
    }
    return best;
  }
  if (bare !== name) return undefined;
  for (const td of t.idsByName("typedef", bare)) {
    const target = t.skipModsAndTypedefs(td);
    const k = t.kindOf(target);
    if (k === "struct" || k === "union") return target;
  }
  return undefined;
}

/** A kernel struct or union as a StructType (bitfields and unrepresentable members left
 *  out), or undefined when BTF has none by that name. */
export function kernelStruct(btf: KernelBtf, name: string): StructType | undefined {
  const id = lookupStructId(btf, name);
  return id === undefined ? undefined : (convert(btf, id) as StructType);
}

/** BTF id of the named ENUM or ENUM64 called `name` ("cgroup_subsys_id" or "enum
 *  cgroup_subsys_id"). When several share the name, the one with the most enumerators
 *  wins, then the lowest id, as for structs. */
export function lookupEnumId(btf: KernelBtf, name: string): number | undefined {
  const t = btf.table;
  const ids = t.idsByName("enum", name.replace(/^enum\s+/, ""));
  let best: number | undefined, bestN = -1;
  for (const id of ids) {
    const n = (t.type(id) as RawEnum | RawEnum64).values.length;
    if (n > bestN) { best = id; bestN = n; }
  }
  return best;
}

/** A named kernel enum as an EnumType, or undefined when BTF has none by that name (or its
 *  size is not 1, 2, 4 or 8 bytes). */
export function kernelEnum(btf: KernelBtf, name: string): EnumType | undefined {
  const id = lookupEnumId(btf, name);
  return id === undefined ? undefined : enumById(btf, id);
}

/** The named enum a member's declared type is, through typedefs and modifiers (BTF id),
 *  or undefined for anything else, anonymous enums included (CO-RE cannot name those). */
export function namedEnumId(btf: KernelBtf, typeId: number): number | undefined {
  const id = btf.table.skipModsAndTypedefs(typeId);
  const k = btf.table.kindOf(id);
  return (k === "enum" || k === "enum64") && btf.table.nameOf(id) !== "" && enumById(btf, id) ? id : undefined;
}

/** The ENUM or ENUM64 with BTF id `id` as an EnumType (cached); undefined for a size
 *  that is no integer type's. */
export function enumById(btf: KernelBtf, id: number): EnumType | undefined {
  if (btf.enums.has(id)) return btf.enums.get(id);
  const r = btf.table.type(id) as RawEnum | RawEnum64;
  const int = intOf(r.size, r.signed);
  const e: EnumType | undefined = int && { kind: "enum", name: r.name, int, values: r.values.map((v) => ({ name: v.name, value: BigInt(v.value) })) };
  btf.enums.set(id, e);
  return e;
}

/** The record layout of tracepoint `event` (struct trace_event_raw_<event>). Syscall
 *  events share the generic trace_event_raw_sys_enter / trace_event_raw_sys_exit. */
export function tracepointStruct(btf: KernelBtf, event: string): StructType | undefined {
  return kernelStruct(btf, `trace_event_raw_${event}`);
}

/** The BTF id a StructType from this KernelBtf was converted from. */
export function structTypeId(btf: KernelBtf, st: StructType): number | undefined {
  return btf.structIds.get(st);
}

/** Any BTF type as a CType; void for what cannot be represented (floats, functions). */
export function toCType(btf: KernelBtf, id: number): CType {
  const c = convert(btf, id);
  return c.kind === "unsupported" ? VOID : c;
}

/** The members of a struct/union by BTF id, anonymous members flattened, in declaration
 *  order, including the ones left out of the StructType (with `omitted` set). */
export function structMembers(btf: KernelBtf, id: number): KernelMember[] {
  id = btf.table.skipModsAndTypedefs(id);
  let list = btf.members.get(id);
  if (!list) {
    list = [];
    btf.members.set(id, list);
    flatten(btf, id, 0, [], list);
  }
  return list;
}

/**
 * The CO-RE view of `root.f1.f2...` inside one struct: the access path, the byte offset on
 * this kernel, and the field's type. Path elements are member names (members of anonymous
 * structs/unions are named directly, as in C) or decimal indices into array members.
 * Undefined when a name is unknown, names a bitfield or unrepresentable member, or the path
 * would continue through a pointer (start a new access at the pointee instead).
 */
export function fieldAccess(btf: KernelBtf, structName: string, fieldPath: string[]): FieldAccess | undefined {
  const id = lookupStructId(btf, structName);
  return id === undefined ? undefined : fieldAccessById(btf, id, fieldPath);
}

/** fieldAccess from a root given by BTF id (e.g. structTypeId of a pointer's pointee). */
export function fieldAccessById(btf: KernelBtf, rootId: number, fieldPath: string[]): FieldAccess | undefined {
  const t = btf.table;
  rootId = t.skipModsAndTypedefs(rootId);
  const rootKind = t.kindOf(rootId);
  if (rootKind !== "struct" && rootKind !== "union") return undefined;
  const root = convert(btf, rootId) as StructType;
  const access = [0];
  let offset = 0;
  let cur = rootId;
  let curType: CType = root;
  for (const step of fieldPath) {
    const id = t.skipModsAndTypedefs(cur);
    const k = t.kindOf(id);
    if ((k === "struct" || k === "union") && curType.kind === "struct") {
      const m = structMembers(btf, id).find((x) => x.name === step);
      if (!m || !m.type) return undefined;
      access.push(...m.path);
      offset += m.offset;
      cur = m.typeId;
      curType = m.type;
    } else if (k === "array" && curType.kind === "array" && /^\d+$/.test(step)) {
      const a = t.type(id);
      if (a.kind !== "array") return undefined;
      const idx = Number(step);
      if (a.nelems !== 0 && idx >= a.nelems) return undefined;
      access.push(idx);
      offset += idx * rawSize(btf, a.elem);
      cur = a.elem;
      curType = curType.elem;
    } else {
      return undefined;
    }
  }
  return {
    typeId: rootId, root, accessIndices: access, offset, type: curType, fieldTypeId: cur,
    rootKind, fieldKind: t.kindOf(t.skipModsAndTypedefs(cur)),
  };
}

/** A composite's name for declarations: its tag, else the typedef that names it
 *  (`typedef struct { ... } atomic_t`), else `__anon_<id>`. */
export function compositeName(btf: KernelBtf, id: number): string {
  return typeName(btf, id) || `__anon_${id}`;
}

/** The name a composite gets as a StructType: its tag, else the typedef that names it,
 *  else "" (anonymous). */
function typeName(btf: KernelBtf, id: number): string {
  const t = btf.table;
  const name = t.nameOf(id);
  if (name) return name;
  if (!btf.anonNames) {
    btf.anonNames = new Map();
    for (const td of t.idsOfKind("typedef")) {
      const target = t.refOf(td);
      const k = t.kindOf(target);
      if ((k === "struct" || k === "union") && t.nameOf(target) === "" && !btf.anonNames.has(target)) {
        btf.anonNames.set(target, t.nameOf(td));
      }
    }
  }
  return btf.anonNames.get(id) ?? "";
}

// ---- conversion ----

function intOf(size: number, signed: boolean): IntType | undefined {
  switch (size) {
    case 1: return signed ? I8 : U8;
    case 2: return signed ? I16 : U16;
    case 4: return signed ? I32 : U32;
    case 8: return signed ? I64 : U64;
    default: return undefined;
  }
}

function unsupported(reason: string): Unsupported {
  return { kind: "unsupported", reason };
}

function convert(btf: KernelBtf, id: number): CType | Unsupported {
  const t = btf.table;
  id = t.skipModsAndTypedefs(id);
  const cached = btf.ctypes.get(id);
  if (cached) return cached;
  const r = t.type(id);
  let c: CType | Unsupported;
  switch (r.kind) {
    case "void": c = VOID; break;
    case "int":
      if (r.bitOffset !== 0 || r.bits !== r.size * 8) c = unsupported("bitfield");
      else if (r.encoding & BTF_INT_BOOL && r.size === 1) c = BOOL;
      else c = intOf(r.size, (r.encoding & BTF_INT_SIGNED) !== 0) ?? unsupported(`${r.size * 8}-bit integer`);
      break;
    case "enum": case "enum64":
      c = intOf(r.size, r.signed) ?? unsupported(`${r.size}-byte enum`);
      break;
    case "ptr": c = pointer(btf, r.type); break;
    case "array": {
      const elem = convert(btf, r.elem);
      if (elem.kind === "unsupported") { c = elem; break; }
      const arr: ArrayType = { kind: "array", elem, length: r.nelems };
      const e = t.type(t.skipModsAndTypedefs(r.elem));
      if (e.kind === "int" && e.name === "char") arr.isString = true;
      c = arr;
      break;
    }
    case "struct": case "union": return composite(btf, id);
    case "fwd": {
      // A declaration only: use the definition when BTF has one, else an opaque struct.
      const want = r.union ? "union" : "struct";
      const best = lookupStructId(btf, `${want} ${r.name}`);
      const def = best !== undefined && t.kindOf(best) === want
        ? best : t.idsByName("composite", r.name).find((x) => t.kindOf(x) === want);
      if (def !== undefined) return convert(btf, def);
      const opaque: StructType = { kind: "struct", name: r.name, fields: [], size: 0, align: 1 };
      btf.structIds.set(opaque, id);
      c = opaque;
      break;
    }
    case "float": c = unsupported("floating point"); break;
    case "func_proto": c = unsupported("function"); break;
    default: c = unsupported(`BTF ${r.kind} is not a data type`);
  }
  btf.ctypes.set(id, c);
  return c;
}

/** A pointer whose pointee is converted on first access of `.to`, then stored as plain data. */
function pointer(btf: KernelBtf, target: number): PtrType {
  let p = btf.ptrs.get(target);
  if (p) return p;
  const t = btf.table;
  let space: "kernel" | "user" = "kernel";
  for (let id = target, guard = 0; guard < 64; guard++) {
    const k = t.kindOf(id);
    if (k === "type_tag" && t.nameOf(id) === "user") space = "user";
    if (k !== "typedef" && k !== "const" && k !== "volatile" && k !== "restrict" && k !== "type_tag") break;
    id = t.refOf(id);
  }
  const ptr = { kind: "ptr", space } as PtrType;
  Object.defineProperty(ptr, "to", {
    enumerable: true,
    configurable: true,
    get(): CType {
      const to = toCType(btf, target);
      Object.defineProperty(ptr, "to", { value: to, enumerable: true, writable: true, configurable: true });
      return to;
    },
  });
  btf.ptrs.set(target, ptr);
  return ptr;
}

function composite(btf: KernelBtf, id: number): StructType {
  const r = btf.table.type(id) as RawComposite;
  const st: StructType = { kind: "struct", name: typeName(btf, id), fields: [], size: r.size, align: 1 };
  if (r.kind === "union") st.union = true;
  // Registered before the members are converted: a cycle through embedded types is
  // impossible in C, but this keeps any malformed blob from recursing forever.
  btf.ctypes.set(id, st);
  btf.structIds.set(st, id);
  for (const m of r.members) {
    if (m.name === "") {
      // An anonymous struct or union stays one member, as in BTF; anything else unnamed
      // is padding (`int :0`).
      const anon = anonymousComposite(btf, m);
      if (anon !== undefined && m.bitOffset % 8 === 0) st.fields.push({ name: "", type: convert(btf, anon) as StructType, offset: m.bitOffset / 8 });
      continue;
    }
    const member = kernelMember(btf, m, 0, []);
    if (member.type) st.fields.push({ name: member.name, type: member.type, offset: member.offset });
  }
  st.align = structAlign(btf, id);
  return st;
}

function flatten(btf: KernelBtf, id: number, baseBits: number, prefix: number[], out: KernelMember[]): void {
  const r = btf.table.type(id);
  if (r.kind !== "struct" && r.kind !== "union") return;
  r.members.forEach((m, i) => {
    const path = [...prefix, i];
    if (m.name !== "") out.push(kernelMember(btf, m, baseBits, path));
    else {
      // Anonymous struct/union: its members belong to the parent, as in C. Anything
      // else unnamed is padding (`int :0`).
      const anon = anonymousComposite(btf, m);
      if (anon !== undefined) flatten(btf, anon, baseBits + m.bitOffset, path, out);
    }
  });
}

type RawMember = RawComposite["members"][number];

/** The struct or union an unnamed member embeds (typedefs and modifiers skipped). */
function anonymousComposite(btf: KernelBtf, m: RawMember): number | undefined {
  const target = btf.table.skipModsAndTypedefs(m.type);
  const k = btf.table.kindOf(target);
  return k === "struct" || k === "union" ? target : undefined;
}

/** A named member `baseBits` into the outermost struct, its type converted unless it is a
 *  bitfield or cannot be represented. */
function kernelMember(btf: KernelBtf, m: RawMember, baseBits: number, path: number[]): KernelMember {
  const bitOffset = baseBits + m.bitOffset;
  const member: KernelMember = {
    name: m.name, offset: Math.floor(bitOffset / 8), bitOffset, bitfieldSize: m.bitfieldSize, typeId: m.type, path,
  };
  const ti = btf.table.type(btf.table.skipModsAndTypedefs(m.type));
  if (m.bitfieldSize === 0 && ti.kind === "int" && (ti.bits !== ti.size * 8 || ti.bitOffset !== 0)) {
    // Pre-kind_flag bitfield: the width and offset live in the INT's encoding.
    member.bitfieldSize = ti.bits;
    member.bitOffset += ti.bitOffset;
    member.offset = Math.floor(member.bitOffset / 8);
  }
  if (member.bitfieldSize > 0 || member.bitOffset % 8 !== 0) member.omitted = "bitfield";
  else {
    const c = convert(btf, m.type);
    if (c.kind === "unsupported") member.omitted = c.reason;
    else member.type = c;
  }
  return member;
}

/** Size in bytes of any data type. */
function rawSize(btf: KernelBtf, id: number): number {
  const t = btf.table;
  const r = t.type(t.skipModsAndTypedefs(id));
  switch (r.kind) {
    case "int": case "enum": case "enum64": case "float": case "struct": case "union": return r.size;
    case "ptr": return 8;
    case "array": return r.nelems * rawSize(btf, r.elem);
    default: return 0;
  }
}

function rawAlign(btf: KernelBtf, id: number): number {
  const t = btf.table;
  id = t.skipModsAndTypedefs(id);
  const r = t.type(id);
  switch (r.kind) {
    case "int": case "enum": case "enum64": case "float": return Math.max(1, Math.min(r.size, 16));
    case "ptr": return 8;
    case "array": return rawAlign(btf, r.elem);
    case "struct": case "union": return structAlign(btf, id);
    default: return 1;
  }
}

/** C alignment of a struct: the largest member alignment, unless BTF's offsets or size show
 *  the struct is packed; then the largest power of two that its size and every member
 *  offset are multiples of (never more than the natural alignment). */
function structAlign(btf: KernelBtf, id: number): number {
  const cached = btf.aligns.get(id);
  if (cached !== undefined) return cached;
  btf.aligns.set(id, 1); // guards a malformed self-embedding blob
  const r = btf.table.type(id) as RawComposite;
  let natural = 1;
  let packed = false;
  for (const m of r.members) {
    const a = rawAlign(btf, m.type);
    natural = Math.max(natural, a);
    if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) packed = true;
  }
  if (r.size % natural !== 0) packed = true;
  let align = natural;
  if (packed) {
    const ok = (a: number) =>
      r.size % a === 0 && r.members.every((m) => m.bitfieldSize !== 0 || m.bitOffset % (8 * a) === 0);
    while (align > 1 && !ok(align)) align /= 2;
  }
  btf.aligns.set(id, align);
  return align;
}
