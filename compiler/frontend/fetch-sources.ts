// Where each variable a handler names is in the probed code at the probe point: a
// kernel function's argument (placed by the x86-64 calling convention from its BTF
// types: a struct by value takes two registers or goes on the stack), a uprobe's
// variable (from the binary's DWARF: registers, frame slots, location lists), a
// tracepoint field (from the event's format, or BTF's trace_event_raw_<event>), or an
// argument by position.
// In: a program and one of its handler's parameters. Out: a Variable: its Source and,
// when debug information says, its C type.

import { existsSync } from "node:fs";
import type ts from "typescript";
import type { KernelFunction } from "../debuginfo/kernel-btf.js";
import { namedFields, sizeOf, typeToString, type CType } from "../types/ctype.js";
import type { ProgramInfo } from "./module.js";
import { readTracepointFormat, type TracepointField } from "./tracefs.js";
import type { Lowerer } from "./values.js";

/** x86-64 struct pt_regs offsets of the argument registers, in argument order. */
const PT_REGS_ARG_OFFSETS = [112, 104, 96, 88, 72, 64];
const PT_REGS_RET = 80;
const PT_REGS_SP = 152;
/** At function entry, the 7th argument is at sp+8, the 8th at sp+16, ... */
const STACK_ARG_BASE = 8;

/** Where a parameter's value comes from: a context field (pt_regs slot, tracepoint
 *  field), or the probed code's memory at a pt_regs register's value plus `disp`. */
export type Source =
  | { kind: "ctx"; off: number; size: number; signed: boolean }
  | { kind: "mem"; base: number; disp: bigint }
  /** A value the probed code's debug information gives as a constant at the probe point. */
  | { kind: "const"; value: bigint }
  /** The address of a tracepoint's variable-length data: the context plus the low 16 bits
   *  of the u32 at `off` (plus the end of that u32 when `rel`: __rel_loc). */
  | { kind: "loc"; off: number; rel: boolean };


/** A variable of the probed code: where its value is, and its type when debug info says.
 *  `slotSized`: the type is the size of the record slot rather than the C type (syscall
 *  tracepoint fields are 8-byte slots), so a narrower declaration is no narrowing. */
export interface Variable { source: Source; type?: CType; slotSized?: boolean; /** A __data_loc field's C type: only a Ptr can hold it. */ loc?: string }

function argument(pos: number): Source {
  if (pos < PT_REGS_ARG_OFFSETS.length) return { kind: "ctx", off: PT_REGS_ARG_OFFSETS[pos], size: 8, signed: false };
  return { kind: "mem", base: PT_REGS_SP, disp: BigInt(STACK_ARG_BASE + 8 * (pos - PT_REGS_ARG_OFFSETS.length)) };
}

export function variableOf(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string, index: number): Variable {
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
  return st && namedFields(st).filter((f) => f.name !== "ent" && (f.type.kind === "int" || f.type.kind === "ptr" || f.type.kind === "array")).map((f) => {
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
