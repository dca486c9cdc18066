// The fetch prologue: from the handler's parameter list (the fetch spec) to IR that
// loads each named value before the body runs. Up to 4 values land in registers
// (hinted to R2..R5; R1 keeps the context); with 5 or more they are written to a struct
// on the BPF stack and the body reads them from there. Each value is truncated and
// sign- or zero-extended to its declared type. Kernel arguments are placed by the x86-64
// calling convention from their BTF types (a struct by value takes two registers or goes
// on the stack); stack-passed ones are read from the probed stack with a probe read,
// whose failure zeroes that value only and sets its fetchFailed() flag. A tracepoint's
// __data_loc field is fetched as a pointer to its data in the record.
// In: the program and its handler's parameters. Out: bindings in the lowering state.

import { existsSync } from "node:fs";
import ts from "typescript";
import { HELPER } from "../helpers.js";
import type { VReg } from "../ir/ir.js";
import { layoutStruct, sizeOf, typeToString, type CType, type IntType, type PtrType } from "../types/ctype.js";
import { skipParens, type ProgramInfo } from "./module.js";
import type { KernelFunction } from "../debuginfo/kernel-btf.js";
import { readTracepointFormat, type TracepointField } from "./tracefs.js";
import { truncate, type Lowerer } from "./values.js";

/** x86-64 struct pt_regs offsets of the argument registers, in argument order. */
export const PT_REGS_ARG_OFFSETS = [112, 104, 96, 88, 72, 64];
export const PT_REGS_RET = 80;
export const PT_REGS_SP = 152;
/** At function entry, the 7th argument is at sp+8, the 8th at sp+16, ... */
const STACK_ARG_BASE = 8;
/** At most this many fetched values are kept in registers R2..R5. */
export const MAX_REGISTER_PARAMS = 4;

type Scalar = IntType | PtrType;

/** Where a parameter's value comes from: a context field (pt_regs slot, tracepoint
 *  field), or the probed code's memory at a pt_regs register's value plus `disp`. */
type Source =
  | { kind: "ctx"; off: number; size: number; signed: boolean }
  | { kind: "mem"; base: number; disp: bigint }
  /** A value the probed code's debug information gives as a constant at the probe point. */
  | { kind: "const"; value: bigint }
  /** The address of a tracepoint's variable-length data: the context plus the low 16 bits
   *  of the u32 at `off` (plus the end of that u32 when `rel`: __rel_loc). */
  | { kind: "loc"; off: number; rel: boolean };

/** `width`: how many bytes of the source to read, and whether to sign-extend them, when
 *  the declared type is wider than the probed variable's C type (an `int` declared i64
 *  reads 4 bytes: the rest of its register or frame slot is not part of it). */
interface Param { sym: ts.Symbol; name: string; type: Scalar; source: Source; node: ts.ParameterDeclaration; width?: { size: number; signed: boolean } }

export function bindParams(L: Lowerer, prog: ProgramInfo): void {
  const params = prog.handler.parameters.map((p, i) => describeParam(L, prog, p, i));
  if (params.length === 0) return;
  const faultable = usedFaultFlags(L, prog.handler);
  // Stack-passed arguments first: their helper calls clobber R1..R5.
  const order = [...params].sort((a, b) => Number(a.source.kind === "ctx") - Number(b.source.kind === "ctx"));
  if (params.length <= MAX_REGISTER_PARAMS) {
    for (const p of order) {
      const reg = fetchToRegister(L, p, faultable.has(p.sym));
      L.b.hint(reg, 2 + params.indexOf(p));
      L.env.set(p.sym, { kind: "reg", reg, type: p.type });
    }
    return;
  }
  const st = layoutStruct(`${prog.name}_args`, params.map((p) => ({ name: p.name, type: p.type })));
  const slot = L.b.newSlot(st.size, st.align, "fetched parameters");
  for (const p of order) {
    const f = st.fields.find((x) => x.name === p.name)!;
    const size = p.type.kind === "int" ? p.type.size : 8;
    if (p.source.kind === "mem" && readSize(p) === size) {
      readMemory(L, p, slot, f.offset, size, faultable.has(p.sym));
    } else {
      const reg = fetchToRegister(L, p, faultable.has(p.sym));
      L.b.emit({ op: "store", base: { slot }, off: f.offset, size: size as 1 | 2 | 4 | 8, src: reg });
    }
    L.env.set(p.sym, { kind: "mem", type: p.type, base: { slot }, off: f.offset });
  }
}

function describeParam(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, index: number): Param {
  if (!ts.isIdentifier(p.name)) return L.ctx.fail("unsupportedSyntax", p, "A destructured parameter");
  if (p.dotDotDotToken || p.initializer || p.questionToken) L.ctx.fail("fetchSpec", p, "A fetched parameter is a plain name with a type: no '...', '?' or default value.");
  const name = p.name.text;
  const v = variableOf(L, prog, p, name, index);
  const type = p.type ? L.types.resolve(p.type) : v.type;
  if (!type) return L.ctx.fail("badParamType", p, name);
  if (type.kind !== "int" && type.kind !== "ptr") return L.ctx.fail("fetchSpec", p.type ?? p, `Parameter '${name}' must be an integer, bool or Ptr<T>; structs are reached through a Ptr.`);
  if (v.loc && type.kind !== "ptr") L.ctx.fail("fetchSpec", p.type ?? p, `Field '${name}' (${v.loc}) is variable-length data in the record: declare it Ptr<T> (readStr(${name}) reads a string).`);
  if (type.kind === "ptr" && v.type?.kind === "int" && v.type.size < 8) L.ctx.fail("fetchSpec", p.type ?? p, `'${name}' is ${typeToString(v.type)} in the probed code, too narrow for a pointer; declare it as an integer.`);
  if (p.type && !v.slotSized && type.kind === "int" && v.type?.kind === "int" && type.size < v.type.size) {
    L.ctx.warn("narrowedParam", p.type, name, typeToString(v.type), typeToString(type));
  }
  const sym = L.ctx.symbolOf(p.name)!;
  const width = type.kind === "int" && v.type?.kind === "int" && !v.slotSized && v.type.size < type.size ? { size: v.type.size, signed: v.type.signed } : undefined;
  return { sym, name, type, source: v.source, node: p, width };
}

/** A variable of the probed code: where its value is, and its type when debug info says.
 *  `slotSized`: the type is the size of the record slot rather than the C type (syscall
 *  tracepoint fields are 8-byte slots), so a narrower declaration is no narrowing. */
interface Variable { source: Source; type?: CType; slotSized?: boolean; /** A __data_loc field's C type: only a Ptr can hold it. */ loc?: string }

function argument(pos: number): Source {
  if (pos < PT_REGS_ARG_OFFSETS.length) return { kind: "ctx", off: PT_REGS_ARG_OFFSETS[pos], size: 8, signed: false };
  return { kind: "mem", base: PT_REGS_SP, disp: BigInt(STACK_ARG_BASE + 8 * (pos - PT_REGS_ARG_OFFSETS.length)) };
}

function variableOf(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string, index: number): Variable {
  const positional = /^arg(\d+)$/.exec(name);
  switch (prog.kind) {
    case "kprobe":
    case "fentry":
    case "fexit": {
      const fn = kernelFunctionOf(L, prog, p, !positional);
      if (fn) return kernelArgument(L, prog, fn, p, name, positional ? Number(positional[1]) : undefined);
      const pos = positional ? Number(positional[1]) : index;
      return { source: prog.kind === "kprobe" ? argument(pos) : contextSlot(pos) };
    }
    case "uprobe":
      return (positional ? undefined : userVariable(L, prog, p, name)) ?? { source: argument(positional ? Number(positional[1]) : index) };
    case "kretprobe":
    case "uretprobe": {
      if (index !== 0) L.ctx.fail("fetchSpec", p, `A return probe fetches one value, the return value (name it 'ret').`);
      const fn = prog.kind === "kretprobe" && name === "ret" ? kernelFunctionOf(L, prog, p, true) : undefined;
      if (fn?.ret.kind === "void") L.ctx.fail("fetchSpec", p, `${fn.name}() returns void: there is no return value to fetch.`);
      return { source: { kind: "ctx", off: PT_REGS_RET, size: 8, signed: false }, type: fn?.ret };
    }
    case "tracepoint":
      return tracepointVariable(L, prog, p, name);
  }
}

/** A uprobe's variable by name from the binary's DWARF; undefined (with one warning) when
 *  the binary has no debug information for the probed function. */
function userVariable(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string): Variable | undefined {
  const [binary, spec] = prog.target;
  const info = L.ctx.user.info(binary);
  const point = info && L.ctx.user.probePoint(binary, spec, p);
  if (!info || !point) {
    const why = existsSync(binary) ? `has no DWARF for '${spec}' (build it with -g)` : "does not exist here, so its DWARF cannot be read";
    if (!noDwarfWarned.has(prog)) L.ctx.warn("noDebugInfo", p, `${binary} ${why}; parameters bind by position.`);
    noDwarfWarned.add(prog);
    return undefined;
  }
  const v = L.ctx.user.variable(info, point, name, p.name);
  const loc = v.location;
  const source: Source =
    loc.kind === "reg" ? { kind: "ctx", off: loc.ptRegs, size: 8, signed: false }
    : loc.kind === "mem" ? { kind: "mem", base: loc.ptRegs, disp: loc.disp }
    : { kind: "const", value: loc.value };
  return { source, type: v.type };
}
const noDwarfWarned = new WeakSet<ProgramInfo>();

/** The kernel function's BTF prototype; undefined when there is no BTF or it lacks the
 *  function: parameters then bind by position (with a warning, unless `warn` is false:
 *  arg0..argN say the position themselves). */
function kernelFunctionOf(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, warn: boolean) {
  if (!prototypes.has(prog)) prototypes.set(prog, L.ctx.kernel.available ? L.ctx.kernel.function(prog.target[0], p) : undefined);
  const fn = prototypes.get(prog);
  if (!fn && warn && !prototypeWarned.has(prog)) {
    L.ctx.warn("fetchSpec", p, `Kernel function '${prog.target[0]}' is not in the kernel's BTF (${L.ctx.kernel.path}); parameters bind by position.`);
    prototypeWarned.add(prog);
  }
  return fn;
}
/** Looked up once per program (and warned about once). */
const prototypes = new WeakMap<ProgramInfo, KernelFunction | undefined>();
const prototypeWarned = new WeakSet<ProgramInfo>();

/** An fentry/fexit context slot: the trampoline saves the arguments as an array of u64. */
function contextSlot(slot: number): Source {
  return { kind: "ctx", off: 8 * slot, size: 8, signed: false };
}

/** Where each parameter of a kernel function is at its entry, from the BTF types (x86-64
 *  System V; the kernel passes no floating point): `source` for a kprobe (an argument
 *  register, or the probed stack), `slot` in an fentry/fexit context. A struct or union
 *  of 9 to 16 bytes takes two registers (and two context slots), a larger one is passed
 *  on the stack (and the trampoline refuses the function: `tooBig`), and so is one that
 *  no longer fits in the registers left; a struct result over 16 bytes takes rdi for its
 *  hidden pointer. */
function kernelArgPlaces(fn: KernelFunction): { places: { source: Source; slot: number; tooBig: boolean }[]; slots: number } {
  let reg = fn.ret.kind === "struct" && sizeOf(fn.ret) > 16 ? 1 : 0;
  let stack = STACK_ARG_BASE;
  let slots = 0;
  const places = fn.params.map((x) => {
    const words = x.type.kind === "struct" ? Math.max(1, Math.ceil(sizeOf(x.type) / 8)) : 1;
    let source: Source;
    if (words <= 2 && reg + words <= PT_REGS_ARG_OFFSETS.length) {
      source = argument(reg);
      reg += words;
    } else {
      source = { kind: "mem", base: PT_REGS_SP, disp: BigInt(stack) };
      stack += 8 * words;
    }
    const place = { source, slot: slots, tooBig: words > 2 };
    slots += Math.min(words, 2);
    return place;
  });
  return { places, slots };
}

/** A kernel function's parameter by name (or by position, `argN`), from BTF: where it is
 *  for this program kind, and its type. fexit's `ret` follows the arguments. */
function kernelArgument(L: Lowerer, prog: ProgramInfo, fn: KernelFunction, p: ts.ParameterDeclaration, name: string, position: number | undefined): Variable {
  const { places, slots } = kernelArgPlaces(fn);
  if (prog.kind !== "kprobe") {
    const big = places.findIndex((x) => x.tooBig);
    if (big >= 0) L.ctx.fail("fetchSpec", p, `${prog.kind} cannot attach to ${fn.name}(): its parameter '${fn.params[big].name}' is a ${sizeOf(fn.params[big].type)}-byte struct passed by value (the kernel's trampoline takes at most 16 bytes); use a kprobe.`);
  }
  let i = fn.params.findIndex((x) => x.name === name);
  if (i < 0 && position !== undefined && position < fn.params.length) i = position;
  if (i >= 0) return { source: prog.kind === "kprobe" ? places[i].source : contextSlot(places[i].slot), type: fn.params[i].type };
  if (prog.kind === "fexit" && name === "ret") {
    if (fn.ret.kind === "void") L.ctx.fail("fetchSpec", p, `${fn.name}() returns void: there is no return value to fetch.`);
    return { source: contextSlot(slots), type: fn.ret };
  }
  // Past the declared parameters of a variadic function, argN is the Nth argument word.
  if (position !== undefined && fn.variadic && prog.kind === "kprobe") return { source: argument(position) };
  const names = fn.params.map((x) => `${x.name}: ${typeToString(x.type)}`).join(", ");
  return L.ctx.fail("unknownParam", p.name, `${fn.name}() has no parameter '${name}'. Its parameters: ${names || "none"}${prog.kind === "fexit" ? ", and ret" : ""}.`);
}

function tracepointVariable(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string): Variable {
  const [category, event] = prog.target;
  const fields = readTracepointFormat(category, event) ?? btfTracepointFields(L, event, p);
  if (!fields) return L.ctx.fail("fetchSpec", p, `Cannot read the format of tracepoint ${category}/${event} (is tracefs mounted at /sys/kernel/tracing, and does the event exist?).`);
  const f = fields.find((x) => x.name === name);
  if (!f) return L.ctx.fail("unknownParam", p.name, `Tracepoint ${category}/${event} has no field '${name}'. Its fields: ${listFields(fields)}.`);
  // Variable-length data (__data_loc char[] filename): the parameter points at it.
  if (f.loc) return { source: { kind: "loc", off: f.offset, rel: f.loc === "rel" }, type: { kind: "ptr", to: { kind: "void" }, space: "kernel" }, loc: f.cType };
  if (f.isArray || (f.size !== 1 && f.size !== 2 && f.size !== 4 && f.size !== 8)) L.ctx.fail("fetchSpec", p, `Field '${name}' (${f.cType}) is not a scalar; only integer and pointer fields can be fetched.`);
  const type: CType = f.isPointer ? { kind: "ptr", to: { kind: "void" }, space: L.space } : { kind: "int", size: f.size as 1 | 2 | 4 | 8, signed: f.signed, name: `${f.signed ? "i" : "u"}${f.size * 8}` };
  // The kernel overwrites the record's first 8 bytes (the common_* fields) with a pt_regs
  // pointer before a BPF program runs, and the verifier refuses loads from them.
  if (f.offset < 8) L.ctx.fail("fetchSpec", p, `Field '${name}' is in the record's first 8 bytes, which BPF programs cannot read (the kernel keeps a pt_regs pointer there); pid() and tid() give the current task.`);
  // Syscall events store every argument in an 8-byte slot, whatever its C type.
  return { source: { kind: "ctx", off: f.offset, size: f.size, signed: f.signed }, type, slotSized: category === "syscalls" };
}

/** Without tracefs: the record layout from BTF (struct trace_event_raw_<event>), for
 *  events that have their own (syscall events share a generic one); __data_loc fields
 *  are the u32 members BTF names `__data_loc_<field>`. */
function btfTracepointFields(L: Lowerer, event: string, p: ts.Node): TracepointField[] | undefined {
  if (!L.ctx.kernel.available) return undefined;
  const st = L.ctx.kernel.tracepointRecord(event, p);
  return st?.fields.filter((f) => f.name !== "ent" && (f.type.kind === "int" || f.type.kind === "ptr" || f.type.kind === "array")).map((f) => {
    // The record struct spells `__data_loc char[] filename` as `u32 __data_loc_filename`.
    const loc = /^__(data|rel)_loc_(.+)$/.exec(f.name);
    return {
      name: loc ? loc[2] : f.name,
      cType: loc ? `__${loc[1]}_loc` : typeToString(f.type),
      offset: f.offset,
      size: f.type.kind === "int" ? f.type.size : sizeOf(f.type),
      signed: f.type.kind === "int" && f.type.signed,
      isPointer: f.type.kind === "ptr",
      isArray: f.type.kind === "array",
      loc: loc ? (loc[1] as "data" | "rel") : undefined,
    };
  });
}

function listFields(fields: TracepointField[]): string {
  return fields.filter((f) => !f.name.startsWith("common_")).map((f) => `${f.name} (${f.cType})`).join(", ");
}

/** Loads a parameter into a fresh register, narrowed to its declared type. */
function fetchToRegister(L: Lowerer, p: Param, wantFault: boolean): VReg {
  if (p.source.kind === "mem") {
    const size = readSize(p);
    const slot = L.b.newSlot(8, 8, `fetched ${p.name}`);
    readMemory(L, p, slot, 0, size, wantFault);
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: { slot }, off: 0, size: size as 1 | 2 | 4 | 8 });
    return signExtend(L, r, size, p.width ? p.width.signed : p.type.kind === "int" && p.type.signed);
  }
  if (p.source.kind === "const") {
    const value = p.type.kind === "int" ? truncate(p.source.value, p.type) : p.source.value;
    return L.b.constReg(BigInt.asIntN(64, value));
  }
  if (p.source.kind === "loc") {
    // ctx + (loc & 0xffff): the verifier allows the arithmetic, and the probe-read
    // helpers take the result as a plain address.
    const word = L.b.newReg(), off = L.b.newReg(), addr = L.b.newReg();
    L.b.emit({ op: "load", dst: word, base: { reg: L.b.ctx }, off: p.source.off, size: 4 });
    L.b.emit({ op: "alu", alu: "and", dst: off, a: word, b: { imm: 0xffffn } });
    let from = off;
    if (p.source.rel) {
      from = L.b.newReg();
      L.b.emit({ op: "alu", alu: "add", dst: from, a: off, b: { imm: BigInt(p.source.off + 4) } });
    }
    L.b.emit({ op: "alu", alu: "add", dst: addr, a: L.b.ctx, b: from });
    return addr;
  }
  const src = p.source;
  const want = p.type.kind === "int" ? p.type.size : 8;
  const size = Math.min(readSize(p), src.size) as 1 | 2 | 4 | 8;
  const r = L.b.newReg();
  // Little-endian: the low bytes of a slot are at its offset, so a narrow load truncates.
  L.b.emit({ op: "load", dst: r, base: { reg: L.b.ctx }, off: src.off, size });
  // A declared type wider than the variable or field takes its signedness.
  const signed = p.type.kind === "int" && (want > size ? (p.width?.signed ?? src.signed) : p.type.signed);
  return signExtend(L, r, size, signed);
}

/** Bytes to read for a parameter: its declared width, or its C type's when narrower. */
function readSize(p: Param): number {
  return Math.min(p.type.kind === "int" ? p.type.size : 8, p.width?.size ?? 8);
}

/** Sign-extends a zero-extended narrow load when the value is signed. */
function signExtend(L: Lowerer, r: VReg, loadedSize: number, signed: boolean): VReg {
  if (!signed || loadedSize >= 8) return r;
  const s = L.b.newReg();
  L.b.emit({ op: "ext", dst: s, src: r, bits: (loadedSize * 8) as 8 | 16 | 32, signed: true });
  return s;
}

/** probe_read of a value in the probed code's memory (a stack-passed argument, a local
 *  in its frame) into slot+off; optionally keeps the fault flag. */
function readMemory(L: Lowerer, p: Param, slot: number, off: number, size: number, wantFault: boolean): void {
  if (p.source.kind !== "mem") return;
  const base = L.b.newReg(), addr = L.b.newReg(), dst = L.b.newReg();
  L.b.emit({ op: "load", dst: base, base: { reg: L.b.ctx }, off: p.source.base, size: 8 });
  L.b.emit({ op: "alu", alu: "add", dst: addr, a: base, b: { imm: p.source.disp } });
  L.b.emit({ op: "addr", dst, slot, off });
  const ret = L.b.newReg();
  L.b.emit({ op: "call", dst: ret, helper: L.space === "user" ? HELPER.probe_read_user : HELPER.probe_read_kernel, args: [dst, { imm: BigInt(size) }, addr] });
  if (wantFault) {
    const flag = L.b.newReg();
    L.b.emit({ op: "setcc", dst: flag, cmp: "ne", a: ret, b: { imm: 0n } });
    L.faults.set(p.sym, flag);
  }
}

/** Parameters named in fetchFailed(...) calls of the handler body. */
function usedFaultFlags(L: Lowerer, handler: ts.ArrowFunction | ts.FunctionExpression): Set<ts.Symbol> {
  const used = new Set<ts.Symbol>();
  const visit = (n: ts.Node): void => {
    const arg = ts.isCallExpression(n) && n.arguments.length === 1 ? skipParens(n.arguments[0]) : undefined;
    if (arg && ts.isIdentifier(arg) && L.ctx.runtimeName((n as ts.CallExpression).expression) === "fetchFailed") {
      const s = L.ctx.symbolOf(arg);
      if (s) used.add(s);
    }
    ts.forEachChild(n, visit);
  };
  visit(handler.body);
  return used;
}

