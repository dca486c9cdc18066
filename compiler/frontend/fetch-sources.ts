// Where each variable a handler names is in the probed code at the probe point: a
// kernel function's argument (where the target's calling convention puts its BTF type:
// a struct by value takes two registers or goes on the stack), a uprobe's variable (from
// the binary's DWARF: registers, frame slots, location lists), a tracepoint field (from
// the event's format, or BTF's trace_event_raw_<event>), or an argument by position.
// In: a program and one of its handler's parameters. Out: a Variable: its Source and,
// when debug information says, its C type.

import type ts from "typescript";
import type { DiagKind } from "../diagnostics.js";
import type { KernelFunction } from "../debuginfo/kernel-btf.js";
import type { ArgPlace, Register, Target } from "../target/index.js";
import { U8, namedFields, sizeOf, typeToString, type CType } from "../types/ctype.js";
import type { ProbePoint } from "../object/model.js";
import type { ProgramInfo } from "./module.js";
import { readTracepointFormat, type TracepointField } from "./tracefs.js";
import type { Lowerer } from "./values.js";

/** Where a parameter's value comes from: a context field (pt_regs slot, tracepoint
 *  field), or the probed code's memory at a pt_regs register's value plus `disp`. */
export type Source =
  | { kind: "ctx"; off: number; size: number; signed: boolean }
  | { kind: "mem"; base: number; disp: bigint }
  /** `size` bytes of the context at `off` (a tracepoint's char[N] or array field). */
  | { kind: "bytes"; off: number; size: number }
  /** A value the probed code's debug information gives as a constant at the probe point. */
  | { kind: "const"; value: bigint }
  /** The address of a tracepoint's variable-length data: the context plus the low 16 bits
   *  of the u32 at `off` (plus the end of that u32 when `rel`: __rel_loc). */
  | { kind: "loc"; off: number; rel: boolean };


/** A variable of the probed code: where its value is, and its type when debug info says.
 *  `slotSized`: the type is the size of the record slot rather than the C type (syscall
 *  tracepoint fields are 8-byte slots), so a narrower declaration is no narrowing. */
export interface Variable {
  source: Source;
  type?: CType;
  slotSized?: boolean;
  /** A __data_loc field's C type: only a Ptr can hold it. */
  loc?: string;
  /** An array field's C type: only an array of its size can hold it. */
  cArray?: string;
}

function register(r: Register): Source {
  return { kind: "ctx", off: r.ptRegs, size: 8, signed: false };
}

/** The argument word at position `pos`: an argument register, or the probed stack. */
function argument(t: Target, pos: number): Source {
  if (pos < t.argRegs.length) return register(t.argRegs[pos]!);
  return { kind: "mem", base: t.sp.ptRegs, disp: BigInt(t.stackArgs.offset + t.stackArgs.slot * (pos - t.argRegs.length)) };
}

export function variableOf(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string, index: number): Variable {
  const positional = /^arg(\d+)$/.exec(name);
  const target = L.ctx.target;
  switch (prog.point.kind) {
    case "kprobe":
    case "fentry":
    case "fexit": {
      const fn = kernelFunctionOf(L, prog, p, !positional);
      if (fn) return kernelArgument(L, prog, fn, p, name, positional ? Number(positional[1]) : undefined);
      const pos = positional ? Number(positional[1]) : index;
      return { source: prog.point.kind === "kprobe" ? argument(target, pos) : contextSlot(pos) };
    }
    case "uprobe":
      return (positional ? undefined : userVariable(L, prog, p, name)) ?? { source: argument(target, positional ? Number(positional[1]) : index) };
    case "kretprobe":
    case "uretprobe": {
      if (index !== 0 || name !== "ret") L.ctx.fail("fetchSpec", p, `A return probe fetches one value, the return value: name it 'ret'.`);
      const fn = prog.point.kind === "kretprobe" && name === "ret" ? kernelFunctionOf(L, prog, p, true) : undefined;
      if (fn?.ret.kind === "void") L.ctx.fail("fetchSpec", p, `${fn.name}() returns void: there is no return value to fetch.`);
      return { source: register(target.ret), type: fn?.ret };
    }
    case "tracepoint":
      return tracepointVariable(L, prog, p, name);
    case "tp_btf":
    case "raw_tp": {
      // The tracepoint's arguments are the context's u64 slots, named by BTF.
      const event = (prog.point as { event: string }).event;
      const fn = L.ctx.kernel.available ? L.ctx.kernel.tracepointPrototype(event, p) : undefined;
      // BTF's btf_trace_<event> prototypes leave their arguments unnamed: the handler's
      // parameters name them in order, typed from BTF.
      if (fn && fn.params.every((x, i) => x.name === `arg${i}`)) {
        const at = positional ? Number(positional[1]) : index;
        if (at >= fn.params.length) L.ctx.fail("unknownParam", p.name, `Tracepoint ${event} has ${fn.params.length} arguments: ${fn.params.map((x) => typeToString(x.type)).join(", ")}.`);
        return { source: contextSlot(at), type: fn.params[at]!.type };
      }
      if (fn) return kernelArgument(L, prog, fn, p, name, positional ? Number(positional[1]) : undefined);
      if (!positional) warnOnce(L, "no prototype", "fetchSpec", p, `Tracepoint '${event}' has no btf_trace_${event} in the kernel's BTF (${L.ctx.kernel.path}); parameters bind by position.`);
      return { source: contextSlot(positional ? Number(positional[1]) : index) };
    }
  }
}

function kernelPoint(prog: ProgramInfo): Extract<ProbePoint, { fn: string }> {
  if (!("fn" in prog.point)) throw new Error("internal: not a kernel function probe");
  return prog.point;
}

function userPoint(prog: ProgramInfo): Extract<ProbePoint, { binary: string }> {
  if (!("binary" in prog.point)) throw new Error("internal: not a user probe");
  return prog.point;
}

function tracepointPoint(prog: ProgramInfo): Extract<ProbePoint, { category: string }> {
  if (!("category" in prog.point)) throw new Error("internal: not a tracepoint");
  return prog.point;
}

/** Gives a warning once per program, at the first parameter that needs it. */
function warnOnce(L: Lowerer, topic: string, kind: DiagKind, node: ts.Node, message: string): void {
  if (L.warned.has(topic)) return;
  L.warned.add(topic);
  L.ctx.warn(kind, node, message);
}

/** A uprobe's variable by name from the binary's DWARF; undefined (with one warning) when
 *  the binary has no debug information for the probed function. */
function userVariable(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string): Variable | undefined {
  const { binary, symbol: spec } = userPoint(prog);
  const point = L.ctx.user.probePoint(binary, spec, p);
  const info = L.ctx.user.info(binary);
  if (!info || !point) {
    const why = `has no DWARF for '${spec}' (build it with -g)`;
    warnOnce(L, "no DWARF", "noDebugInfo", p, `${binary} ${why}; parameters bind by position.`);
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

/** The kernel function's BTF prototype; undefined when there is no BTF or it lacks the
 *  function: parameters then bind by position (with a warning, unless `warn` is false:
 *  arg0..argN say the position themselves). */
function kernelFunctionOf(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, warn: boolean) {
  const fn = L.ctx.kernel.available ? L.ctx.kernel.function(kernelPoint(prog).fn, p) : undefined;
  if (!fn && warn) warnOnce(L, "no prototype", "fetchSpec", p, `Kernel function '${kernelPoint(prog).fn}' is not in the kernel's BTF (${L.ctx.kernel.path}); parameters bind by position.`);
  return fn;
}

/** An fentry/fexit context slot: the trampoline saves the arguments as an array of u64. */
function contextSlot(slot: number): Source {
  return { kind: "ctx", off: 8 * slot, size: 8, signed: false };
}

/** Where each parameter of a kernel function is at its entry: `place` for a kprobe, as
 *  the target's calling convention puts its BTF type (argument registers, or the probed
 *  stack), and `slot` in an fentry/fexit context, where the trampoline saves each
 *  argument as u64 words: a struct or union of 9 to 16 bytes takes two, and a larger one
 *  makes the trampoline refuse the function (`tooBig`). */
function kernelArgPlaces(L: Lowerer, fn: KernelFunction, p: ts.Node): { places: { place: ArgPlace; slot: number; tooBig: boolean }[]; slots: number } {
  const placed = L.ctx.kernel.argPlaces(fn, p);
  let slots = 0;
  const places = fn.params.map((x, i) => {
    const words = x.type.kind === "struct" ? Math.max(1, Math.ceil(sizeOf(x.type) / 8)) : 1;
    const place = { place: placed[i]!, slot: slots, tooBig: words > 2 };
    slots += Math.min(words, 2);
    return place;
  });
  return { places, slots };
}

/** A kprobe's source for an argument placed there: its first register (a struct in two
 *  registers starts in the first), or memory; a diagnostic for what a kprobe cannot read
 *  in one step (floating-point registers, a reference passed on the stack). */
function placedSource(L: Lowerer, place: ArgPlace, p: ts.ParameterDeclaration, name: string): Source {
  switch (place.kind) {
    case "regs": return register(place.regs[0]!);
    case "mem":
      if (place.deref) return L.ctx.fail("fetchSpec", p, `'${name}' is passed by reference on the stack, which bpftsc cannot fetch yet.`);
      return { kind: "mem", base: place.base.ptRegs, disp: BigInt(place.offset) };
    case "fpregs": return L.ctx.fail("fetchSpec", p, `'${name}' is passed in ${place.names.join(" and ")}, which a kprobe's pt_regs does not hold.`);
  }
}

/** A kernel function's parameter by name (or by position, `argN`), from BTF: where it is
 *  for this program kind, and its type. fexit's `ret` follows the arguments. */
function kernelArgument(L: Lowerer, prog: ProgramInfo, fn: KernelFunction, p: ts.ParameterDeclaration, name: string, position: number | undefined): Variable {
  const { places, slots } = kernelArgPlaces(L, fn, p);
  if (prog.point.kind !== "kprobe") {
    const big = places.findIndex((x) => x.tooBig);
    if (big >= 0) L.ctx.fail("fetchSpec", p, `${prog.point.kind} cannot attach to ${fn.name}(): its parameter '${fn.params[big].name}' is a ${sizeOf(fn.params[big].type)}-byte struct passed by value (the kernel's trampoline takes at most 16 bytes); use a kprobe.`);
  }
  let i = fn.params.findIndex((x) => x.name === name);
  if (i < 0 && position !== undefined && position < fn.params.length) i = position;
  if (i >= 0) return { source: prog.point.kind === "kprobe" ? placedSource(L, places[i].place, p, fn.params[i].name) : contextSlot(places[i].slot), type: fn.params[i].type };
  if (prog.point.kind === "fexit" && name === "ret") {
    if (fn.ret.kind === "void") L.ctx.fail("fetchSpec", p, `${fn.name}() returns void: there is no return value to fetch.`);
    return { source: contextSlot(slots), type: fn.ret };
  }
  // Past the declared parameters of a variadic function, argN is the Nth argument word.
  if (position !== undefined && fn.variadic && prog.point.kind === "kprobe") return { source: argument(L.ctx.target, position) };
  const names = fn.params.map((x) => `${x.name}: ${typeToString(x.type)}`).join(", ");
  return L.ctx.fail("unknownParam", p.name, `${fn.name}() has no parameter '${name}'. Its parameters: ${names || "none"}${prog.point.kind === "fexit" ? ", and ret" : ""}.`);
}

function tracepointVariable(L: Lowerer, prog: ProgramInfo, p: ts.ParameterDeclaration, name: string): Variable {
  const { category, event } = tracepointPoint(prog);
  const fields = readTracepointFormat(category, event) ?? btfTracepointFields(L, event, p);
  if (!fields) return L.ctx.fail("fetchSpec", p, `Cannot read the format of tracepoint ${category}/${event} (is tracefs mounted at /sys/kernel/tracing, and does the event exist?).`);
  const f = fields.find((x) => x.name === name);
  if (!f) return L.ctx.fail("unknownParam", p.name, `Tracepoint ${category}/${event} has no field '${name}'. Its fields: ${listFields(fields)}.`);
  // Variable-length data (__data_loc char[] filename): the parameter points at it.
  if (f.loc) return { source: { kind: "loc", off: f.offset, rel: f.loc === "rel" }, type: { kind: "ptr", to: { kind: "void" }, space: "kernel" }, loc: f.cType };
  // The kernel overwrites the record's first 8 bytes (the common_* fields) with a pt_regs
  // pointer before a BPF program runs, and the verifier refuses loads from them.
  if (f.offset < 8) L.ctx.fail("fetchSpec", p, `Field '${name}' is in the record's first 8 bytes, which BPF programs cannot read (the kernel keeps a pt_regs pointer there); pid() and tid() give the current task.`);
  if (f.isArray) {
    // A char[N] field is a Chars<N>; another array is its bytes, unless declared.
    const chars = /\bchar\b/.test(f.cType);
    return { source: { kind: "bytes", off: f.offset, size: f.size }, type: { kind: "array", elem: U8, length: f.size, isString: chars || undefined }, cArray: f.cType };
  }
  if (f.size !== 1 && f.size !== 2 && f.size !== 4 && f.size !== 8) L.ctx.fail("fetchSpec", p, `Field '${name}' (${f.cType}) has ${f.size} bytes: only integer, pointer and array fields can be fetched.`);
  const type: CType = f.isPointer ? { kind: "ptr", to: { kind: "void" }, space: L.space } : { kind: "int", size: f.size as 1 | 2 | 4 | 8, signed: f.signed, name: `${f.signed ? "i" : "u"}${f.size * 8}` };
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
  const own = fields.filter((f) => !f.name.startsWith("common_"));
  return own.length > 0 ? own.map((f) => `${f.name} (${f.cType})`).join(", ") : "none (its format describes no fields of its own: is the format file corrupt?)";
}
