// The probe language's helper functions (pid, tid, uid, gid, ktimeNs, cpu, comm,
// readStr, readStrInto, printk, fetchFailed), one entry each, lowered to BPF helper calls,
// and the CO-RE constants (fieldExists, typeExists, enumValue, enumExists) libbpf relocates.
// In: a call expression naming a bpftsc helper. Out: its Value, or, for the ones that
// fill a Chars<N> buffer, IR that writes into the destination memory.

import ts from "typescript";
import { BPF_F_USER_STACK, HELPER } from "../helpers.js";
import { coreEnumValue } from "../object/core-types.js";
import { CORE_KIND } from "../object/model.js";
import { BOOL, I64, U32, U64, sizeOf, type CType, type IntType } from "../types/ctype.js";
import type { VReg } from "../ir/ir.js";
import { beforeLater } from "./eval-order.js";
import { lowerAtomicAdd } from "./lower-assign.js";
import { kernelEnumerator } from "./kernel-enums.js";
import { lowerExpr } from "./lower-expr.js";
import { checkPrintkFormat } from "./printk-format.js";
import { lowerReadStrInto } from "./read-str-into.js";
import { storeUncovered } from "./lower-store.js";
import { skipParens, stringValue } from "./module.js";
import { addressOf, programContext, scalar, spaceOf, toOperand, toReg, type Lowerer, type Value } from "./values.js";

type Mem = Extract<Value, { kind: "mem" }>;

/** Calls a helper with no arguments and keeps part of its 64-bit result. */
function idHelper(helper: number, part: "low" | "high" | "all", type: IntType) {
  return (L: Lowerer): Value => {
    const r = L.b.newReg();
    L.b.emit({ op: "call", dst: r, helper, args: [] });
    if (part === "all") return { kind: "int", type, reg: r };
    const out = L.b.newReg();
    if (part === "high") L.b.emit({ op: "alu", alu: "rsh", dst: out, a: r, b: { imm: 32n } });
    else L.b.emit({ op: "ext", dst: out, src: r, bits: 32, signed: false });
    return { kind: "int", type, reg: out };
  };
}

/** A builtin: how many arguments it takes ("any": it checks them itself), its lowering,
 *  and whether it is pure: it writes no memory the program can read (eval-order.ts). */
interface Builtin { args: number | "any"; lower: (L: Lowerer, call: ts.CallExpression) => Value; pure?: true }

const VALUE_BUILTINS: Record<string, Builtin> = {
  pid: { args: 0, lower: idHelper(HELPER.get_current_pid_tgid, "high", U32), pure: true },
  tid: { args: 0, lower: idHelper(HELPER.get_current_pid_tgid, "low", U32), pure: true },
  uid: { args: 0, lower: idHelper(HELPER.get_current_uid_gid, "low", U32), pure: true },
  gid: { args: 0, lower: idHelper(HELPER.get_current_uid_gid, "high", U32), pure: true },
  ktimeNs: { args: 0, lower: idHelper(HELPER.ktime_get_ns, "all", U64), pure: true },
  cpu: { args: 0, lower: idHelper(HELPER.get_smp_processor_id, "all", U32), pure: true },
  currentTask: { args: 0, lower: lowerCurrentTask, pure: true },
  fieldExists: { args: 1, lower: lowerFieldExists, pure: true },
  typeExists: { args: 0, lower: lowerTypeExists, pure: true },
  enumValue: { args: 1, lower: (L, call) => lowerEnumerator(L, call, "enumValue"), pure: true },
  enumExists: { args: 1, lower: (L, call) => lowerEnumerator(L, call, "enumExists"), pure: true },
  cgroupId: { args: 0, lower: idHelper(HELPER.get_current_cgroup_id, "all", U64), pure: true },
  kernelStack: { args: 1, lower: (L, call) => lowerGetStack(L, call, 0n) },
  userStack: { args: 1, lower: (L, call) => lowerGetStack(L, call, BPF_F_USER_STACK) },
  toAddress: { args: 1, lower: lowerToAddress, pure: true },
  toPtr: { args: 1, lower: (L, call) => lowerToPtr(L, call, undefined), pure: true },
  toUserPtr: { args: 1, lower: (L, call) => lowerToPtr(L, call, "user"), pure: true },
  toKernelPtr: { args: 1, lower: (L, call) => lowerToPtr(L, call, "kernel"), pure: true },
  printk: { args: "any", lower: lowerPrintk, pure: true },
  atomicAdd: { args: 2, lower: lowerAtomicAdd },
  readStrInto: { args: 4, lower: lowerReadStrInto },
  fetchFailed: { args: 1, lower: lowerFetchFailed, pure: true },
};

export function isValueBuiltin(name: string): boolean {
  return name in VALUE_BUILTINS;
}

/** A builtin that writes no memory the program can read (a helper's value, a conversion,
 *  a CO-RE constant, printk). */
export function isPureBuiltin(name: string | undefined): boolean {
  return name !== undefined && VALUE_BUILTINS[name]?.pure === true;
}

export function lowerValueBuiltin(L: Lowerer, name: string, call: ts.CallExpression): Value {
  const f = VALUE_BUILTINS[name]!;
  if (f.args !== "any" && call.arguments.length !== f.args) L.ctx.fail("badCall", call, `${name}() takes ${f.args === 0 ? "no arguments" : f.args === 1 ? "one argument" : `${f.args} arguments`}.`);
  return f.lower(L, call);
}

/** The struct a pointer-making builtin points to: its type argument (`currentTask<task_struct>()`). */
function pointee(L: Lowerer, call: ts.CallExpression): CType {
  const arg = call.typeArguments?.[0];
  if (!arg) return L.ctx.fail("badCall", call, `${L.ctx.runtimeName(call.expression)}<T>() needs the type it points to as a type argument (for kernel structs, from bpftsc types).`);
  return arg.kind === ts.SyntaxKind.UnknownKeyword || arg.kind === ts.SyntaxKind.VoidKeyword ? { kind: "void" } : L.types.resolve(arg);
}

/** currentTask<T>(): bpf_get_current_task, the current task_struct as a KernelPtr. */
function lowerCurrentTask(L: Lowerer, call: ts.CallExpression): Value {
  const to = pointee(L, call);
  const reg = L.b.newReg();
  L.b.emit({ op: "call", dst: reg, helper: HELPER.get_current_task, args: [] });
  return { kind: "ptr", type: { kind: "ptr", to, space: "kernel", explicit: true }, reg };
}

/** kernelStack(buf) / userStack(buf): bpf_get_stack into a FixedArray<u64, N> of return
 *  addresses; the bytes written, or a negative error. */
function lowerGetStack(L: Lowerer, call: ts.CallExpression, flags: bigint): Value {
  const buf = lowerExpr(L, call.arguments[0]!);
  if (buf.kind !== "mem" || buf.type.kind !== "array" || buf.type.elem.kind !== "int" || buf.type.elem.size !== 8 || buf.readOnly) {
    return L.ctx.fail("badCall", call.arguments[0]!, "The stack goes into a FixedArray<u64, N> in BPF memory (a local, a map value or a global).");
  }
  if (L.fn.kind !== "program") L.ctx.fail("badCall", call, "A stack needs the program's context: take it in the handler, not in a subprogram.");
  const n = L.b.newReg();
  L.b.emit({ op: "call", dst: n, helper: HELPER.get_stack, args: [programContext(L), addressOf(L, buf), { imm: BigInt(sizeOf(buf.type)) }, { imm: flags }] });
  return { kind: "int", type: I64, reg: n };
}

const { FIELD_EXISTS, TYPE_EXISTS, ENUMVAL_EXISTS, ENUMVAL_VALUE } = CORE_KIND;

/** fieldExists(p.f): whether the kernel the object loads on has the field (a CO-RE
 *  relocated constant: the verifier then skips the code the other answer guards). */
function lowerFieldExists(L: Lowerer, call: ts.CallExpression): Value {
  const arg = skipParens(call.arguments[0]!);
  if (!ts.isPropertyAccessExpression(arg)) return L.ctx.fail("badCall", arg, "fieldExists() takes a field of a kernel struct: fieldExists(task.__state).");
  const obj = lowerExpr(L, arg.expression);
  const st = obj.kind === "ptr" ? obj.type.to : obj.kind === "probed" ? obj.type : undefined;
  const field = st?.kind === "struct" ? L.ctx.kernel.field(st, arg.name.text, arg.name) : undefined;
  if (!field?.core) return L.ctx.fail("badCall", arg, "fieldExists() checks a field of a kernel struct (one from bpftsc types, or a @kernel flavour like task_struct___old).");
  const r = L.b.newReg();
  L.b.emit({ op: "const", dst: r, value: 1n, core: { ...field.core, kind: FIELD_EXISTS } });
  return { kind: "int", type: BOOL, reg: r };
}

/** typeExists<T>(): whether the kernel the object loads on has the struct T. */
function lowerTypeExists(L: Lowerer, call: ts.CallExpression): Value {
  const t = pointee(L, call);
  if (t.kind !== "struct" || !t.name) return L.ctx.fail("badCall", call, "typeExists<T>() takes a named struct: a kernel struct, or a @kernel flavour like cgroup___v1.");
  const r = L.b.newReg();
  L.b.emit({ op: "const", dst: r, value: 1n, core: { root: t, kind: TYPE_EXISTS } });
  return { kind: "int", type: BOOL, reg: r };
}

/** enumValue(E.NAME): the enumerator's value on the kernel the object loads on, of the
 *  enum's integer type; enumExists(E.NAME): whether that kernel has it. An ld_imm64 that
 *  libbpf relocates (ENUMVAL_VALUE, ENUMVAL_EXISTS), holding what it reads from the local
 *  BTF; it writes an ENUM's value sign-extended from 32 bits, so an unsigned enum's is
 *  zero-extended again. */
function lowerEnumerator(L: Lowerer, call: ts.CallExpression, name: "enumValue" | "enumExists"): Value {
  const arg = call.arguments[0]!;
  const e = kernelEnumerator(L.ctx, arg)
    ?? L.ctx.fail("badCall", arg, `${name}() takes an enumerator of a kernel enum, written out: ${name}(node_stat_item.NR_SHMEM).`);
  const r = L.b.newReg();
  const core = { root: e.root, field: e.name };
  if (name === "enumExists") {
    L.b.emit({ op: "const", dst: r, value: 1n, core: { ...core, kind: ENUMVAL_EXISTS } });
    return { kind: "int", type: BOOL, reg: r };
  }
  L.b.emit({ op: "const", dst: r, value: coreEnumValue(e.root, e.value), core: { ...core, kind: ENUMVAL_VALUE } });
  const type = e.root.int;
  if (type.signed || type.size === 8) return { kind: "int", type, reg: r };
  const out = L.b.newReg();
  L.b.emit({ op: "ext", dst: out, src: r, bits: (type.size * 8) as 8 | 16 | 32, signed: false });
  return { kind: "int", type, reg: out };
}

/** toAddress(p): a pointer's address as a u64. */
function lowerToAddress(L: Lowerer, call: ts.CallExpression): Value {
  const v = scalar(L, lowerExpr(L, call.arguments[0]!));
  if (v.kind !== "ptr") return L.ctx.fail("badCall", call.arguments[0]!, "toAddress() takes a Ptr, UserPtr or KernelPtr.");
  return { kind: "int", type: U64, reg: v.reg };
}

/** toPtr<T>(address), toUserPtr<T>, toKernelPtr<T>: an address as a pointer into the
 *  program's memory space, or the one the name says. */
function lowerToPtr(L: Lowerer, call: ts.CallExpression, space: "user" | "kernel" | undefined): Value {
  const to = pointee(L, call);
  const v = scalar(L, lowerExpr(L, call.arguments[0]!, U64));
  if (v.kind !== "int" && v.kind !== "const" && v.kind !== "ptr") return L.ctx.fail("badCall", call.arguments[0]!, "An address is an integer.");
  const type = space ? { kind: "ptr" as const, to, space, explicit: true } : { kind: "ptr" as const, to, space: L.space };
  return { kind: "ptr", type, reg: toReg(L, v) };
}

/** The helpers that fill a Chars<N> with a string: comm() and readStr(). */
export function isStringFill(name: string | undefined): name is "comm" | "readStr" {
  return name === "comm" || name === "readStr";
}

/**
 * comm() and readStr() write into a Chars<N> destination; returns false for other calls.
 * The helpers write the string up to its NUL and may leave the bytes after it as they
 * were (bpf_get_current_comm does on Linux 6.1, the probe-read string helpers on every
 * kernel), but a Chars<N> is zero-padded, so that keys and records holding it are the same
 * on every call and kernel: the buffer is zeroed first, unless the caller has (`zeroed`).
 */
export function lowerBuiltinInto(L: Lowerer, dst: Mem, call: ts.CallExpression, zeroed: boolean): boolean {
  const name = L.ctx.runtimeName(call.expression);
  if (!isStringFill(name)) return false;
  if (dst.type.kind !== "array" || !dst.type.isString) L.ctx.fail("badCall", call, `${name}() fills a Chars<N> field or variable.`);
  const size = dst.type.length;
  if (!zeroed) storeUncovered(L, dst, new Uint8Array(size), new Uint8Array(size));
  if (name === "comm") {
    if (call.arguments.length !== 0) L.ctx.fail("badCall", call, "comm() takes no arguments.");
    L.b.emit({ op: "call", helper: HELPER.get_current_comm, args: [addressOf(L, dst), { imm: BigInt(size) }] });
    return true;
  }
  if (call.arguments.length !== 1) L.ctx.fail("badCall", call, "readStr(src) takes the string's address.");
  const { helper, src } = stringSource(L, call.arguments[0]!, "readStr");
  L.b.emit({ op: "call", helper, args: [addressOf(L, dst), { imm: BigInt(size) }, src] });
  return true;
}

/** A string read's source (a Ptr or an address) and the helper for its memory space. */
export function stringSource(L: Lowerer, e: ts.Expression, name: string): { helper: number; src: VReg } {
  const src = scalar(L, lowerExpr(L, e));
  if (src.kind !== "ptr" && src.kind !== "int" && src.kind !== "const") return L.ctx.fail("badCall", e, `${name}() reads from a Ptr or an address.`);
  const space = src.kind === "ptr" ? spaceOf(L, src.type) : L.space;
  return { helper: space === "user" ? HELPER.probe_read_user_str : HELPER.probe_read_kernel_str, src: toReg(L, src) };
}

/** printk("fmt", a, b, c): bpf_trace_printk with the format read from .rodata, where it is
 *  once however many calls print it (as libbpf's bpf_printk). */
function lowerPrintk(L: Lowerer, call: ts.CallExpression): Value {
  const [fmtNode, ...rest] = call.arguments;
  const fmt = fmtNode && stringValue(L.ctx, L.mod, fmtNode);
  if (fmt === undefined) return L.ctx.fail("badCall", call, "printk() takes a format first: a string literal or a string constant.");
  if (rest.length > 3) L.ctx.fail("tooManyHelperArgs", rest[3], "printk() takes at most 3 values after the format (bpf_trace_printk).");
  const values = rest.map((a, i) => {
    const v = scalar(L, lowerExpr(L, a));
    if (v.kind !== "int" && v.kind !== "const" && v.kind !== "ptr") L.ctx.fail("badCall", a, "printk() prints integers.");
    return beforeLater(L, v, rest.slice(i + 1));
  });
  // An untyped constant is an i64, printed as 64 bits.
  const check = checkPrintkFormat(fmt, values.map((v) => (v.kind === "int" ? v.type.size : 8)));
  if (check.error) L.ctx.fail("printkFormat", fmtNode!, check.error);
  for (const w of check.warnings) L.ctx.warn("printkFormat", fmtNode!, w);
  const args = values.map((v) => toOperand(L, v));
  const { symbol, size } = L.strings.symbolFor(fmt);
  const addr = L.b.newReg();
  L.b.emit({ op: "symref", dst: addr, kind: "data", symbol });
  L.b.emit({ op: "call", helper: HELPER.trace_printk, args: [addr, { imm: BigInt(size) }, ...args] });
  return { kind: "void" };
}

/** fetchFailed(param): whether fetching that parameter faulted. */
function lowerFetchFailed(L: Lowerer, call: ts.CallExpression): Value {
  const arg = call.arguments.length === 1 ? skipParens(call.arguments[0]) : undefined;
  const sym = arg && ts.isIdentifier(arg) ? L.ctx.symbolOf(arg) : undefined;
  const isParam = sym?.valueDeclaration && ts.isParameter(sym.valueDeclaration);
  if (!sym || !isParam) return L.ctx.fail("badCall", call, "fetchFailed() takes one of the handler's parameters.");
  const flag = L.faults.get(sym);
  // Parameters fetched from registers or the context cannot fault.
  return flag === undefined ? { kind: "const", type: BOOL, value: 0n } : { kind: "int", type: BOOL, reg: flag };
}
