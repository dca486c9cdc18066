// The fetch prologue: from the handler's parameter list (the fetch spec) to IR that
// loads each named value before the body runs. The first 4 values land in registers
// (hinted to R2..R5, or to R6..R9 when they must survive a helper call, as they must with
// 5 or more; R1 keeps the context); the ones past those are written to a struct on the
// BPF stack and the body reads them from there. Each value is truncated and
// sign- or zero-extended to its declared type (reading only the C variable's own bytes).
// Values in the probed code's memory (stack-passed arguments, frame slots) are read with
// a probe read, whose failure zeroes that value only and sets its fetchFailed() flag.
// Where each value is comes from fetch-sources.ts.
// In: the program and its handler's parameters. Out: bindings in the lowering state.

import ts from "typescript";
import { HELPER } from "../helpers.js";
import type { VReg } from "../ir/ir.js";
import { layoutStruct, sizeOf, typeToString, type ArrayType, type IntType, type PtrType } from "../types/ctype.js";
import { variableOf, type Source, type Variable } from "./fetch-sources.js";
import { skipParens, type ProgramInfo } from "./module.js";
import { programContext, truncate, type Lowerer } from "./values.js";

/** At most this many fetched values are kept in registers (R2..R5 or R6..R9). */
const MAX_REGISTER_PARAMS = 4;

type Scalar = IntType | PtrType;

/** `width`: how many bytes of the source to read, and whether to sign-extend them, when
 *  the declared type is wider than the probed variable's C type (an `int` declared i64
 *  reads 4 bytes: the rest of its register or frame slot is not part of it). */
interface Param { sym: ts.Symbol; name: string; type: Scalar; source: Exclude<Source, { kind: "bytes" }>; node: ts.ParameterDeclaration; width?: { size: number; signed: boolean } }

export function bindParams(L: Lowerer, prog: ProgramInfo): void {
  const params: Param[] = [];
  prog.handler.parameters.forEach((p, i) => {
    const v = variableOf(L, prog, p, checkPlainParam(L, p), i);
    if (v.source.kind === "bytes") bindArray(L, p, v.source, v.cArray!, v.type as ArrayType);
    else params.push(describeParam(L, p, v, v.source));
  });
  if (params.length === 0) return;
  const faultable = usedFaultFlags(L, prog.handler);
  const inRegs = params.slice(0, MAX_REGISTER_PARAMS);
  // A probe read (a stack-passed argument) is a helper call, which clobbers R1..R5. With
  // one, the context's values are loaded before it, into registers that survive the call
  // (or the struct), and the context is not needed after it. With several, the context
  // must survive all but the last anyway: the reads come first, then the context's loads,
  // the register values last, so the last of them can take the context's register.
  const reads = params.filter((p) => p.source.kind === "mem");
  const loads = [...params.slice(MAX_REGISTER_PARAMS), ...inRegs].filter((p) => p.source.kind !== "mem");
  const order = reads.length > 1 ? [...reads, ...loads] : [...loads, ...reads];
  const survives = params.length > MAX_REGISTER_PARAMS || (reads.length === 1 && inRegs.some((p) => p.source.kind !== "mem"));
  const rest = params.slice(inRegs.length);
  const st = rest.length > 0 ? layoutStruct(`${prog.name}_args`, rest.map((p) => ({ name: p.name, type: p.type }))) : undefined;
  const slot = st ? L.b.newSlot(st.size, st.align, "fetched parameters") : -1;
  if (st) L.b.markParameters(slot);
  for (const p of order) {
    const i = inRegs.indexOf(p);
    if (i >= 0) {
      const reg = fetchToRegister(L, p, faultable.has(p.sym));
      L.b.hint(reg, (survives ? 6 : 2) + i);
      L.env.set(p.sym, { kind: "reg", reg, type: p.type });
      continue;
    }
    const f = st!.fields.find((x) => x.name === p.name)!;
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

function checkPlainParam(L: Lowerer, p: ts.ParameterDeclaration): string {
  if (!ts.isIdentifier(p.name)) return L.ctx.fail("unsupportedSyntax", p, "A destructured parameter");
  if (p.dotDotDotToken || p.initializer || p.questionToken) L.ctx.fail("fetchSpec", p, "A fetched parameter is a plain name with a type: no '...', '?' or default value.");
  return p.name.text;
}

/** A tracepoint's char[N] (or other array) field: copied from the record to the stack
 *  with loads and stores at the widths its alignment allows (tracepoint context reads
 *  must be aligned to their size), then a local like any other. */
function bindArray(L: Lowerer, p: ts.ParameterDeclaration, src: { off: number; size: number }, cType: string, fieldType: ArrayType): void {
  const name = (p.name as ts.Identifier).text;
  const type = p.type ? L.types.resolve(p.type) : fieldType;
  if (type.kind !== "array" || sizeOf(type) !== src.size) {
    L.ctx.fail("fetchSpec", p.type ?? p, `Field '${name}' is ${cType}, ${src.size} bytes: declare it ${fieldType.isString ? `Chars<${src.size}>` : `a FixedArray of ${src.size} bytes (FixedArray<u8, ${src.size}>, say)`}.`);
  }
  const slot = L.b.newSlot(src.size, 8, `fetched ${name}`);
  for (let at = 0; at < src.size;) {
    const abs = src.off + at;
    const size = ([8, 4, 2, 1] as const).find((n) => abs % n === 0 && at % n === 0 && at + n <= src.size)!;
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: { reg: programContext(L) }, off: abs, size });
    L.b.emit({ op: "store", base: { slot }, off: at, size, src: r });
    at += size;
  }
  L.env.set(L.ctx.symbolOf(p.name)!, { kind: "mem", type, base: { slot }, off: 0 });
}

function describeParam(L: Lowerer, p: ts.ParameterDeclaration, v: Variable, source: Param["source"]): Param {
  const name = (p.name as ts.Identifier).text;
  const type = p.type ? L.types.resolve(p.type) : v.type;
  if (!type) return L.ctx.fail("badParamType", p, name);
  if (type.kind !== "int" && type.kind !== "ptr") return L.ctx.fail("fetchSpec", p.type ?? p, `Parameter '${name}' must be an integer, bool or Ptr<T>${type.kind === "array" ? " (arrays are fetched from tracepoint array fields)" : "; structs are reached through a Ptr"}.`);
  if (v.loc && type.kind !== "ptr") L.ctx.fail("fetchSpec", p.type ?? p, `Field '${name}' (${v.loc}) is variable-length data in the record: declare it Ptr<T> (readStr(${name}) reads a string).`);
  if (type.kind === "ptr" && v.type?.kind === "int" && v.type.size < 8) L.ctx.fail("fetchSpec", p.type ?? p, `'${name}' is ${typeToString(v.type)} in the probed code, too narrow for a pointer; declare it as an integer.`);
  if (p.type && !v.slotSized && type.kind === "int" && v.type?.kind === "int" && type.size < v.type.size) {
    L.ctx.warn("narrowedParam", p.type, name, typeToString(v.type), typeToString(type));
  }
  const sym = L.ctx.symbolOf(p.name)!;
  const width = type.kind === "int" && v.type?.kind === "int" && !v.slotSized && v.type.size < type.size ? { size: v.type.size, signed: v.type.signed } : undefined;
  return { sym, name, type, source, node: p, width };
}

/** Loads a parameter into a fresh register, narrowed to its declared type. */
function fetchToRegister(L: Lowerer, p: Param, wantFault: boolean): VReg {
  if (p.source.kind === "mem") {
    const size = readSize(p);
    const slot = L.b.newSlot(8, 8, `fetched ${p.name}`);
    readMemory(L, p, slot, 0, size, wantFault);
    const r = L.b.newReg();
    L.b.emit({ op: "load", dst: r, base: { slot }, off: 0, size: size as 1 | 2 | 4 | 8 });
    return extendToDeclared(L, p, r, size, p.width ? p.width.signed : p.type.kind === "int" && p.type.signed);
  }
  if (p.source.kind === "const") {
    const value = p.type.kind === "int" ? truncate(p.source.value, p.type) : p.source.value;
    return L.b.constReg(BigInt.asIntN(64, value));
  }
  if (p.source.kind === "loc") {
    // ctx + (loc & 0xffff): the verifier allows the arithmetic, and the probe-read
    // helpers take the result as a plain address.
    const word = L.b.newReg(), off = L.b.newReg(), addr = L.b.newReg();
    L.b.emit({ op: "load", dst: word, base: { reg: programContext(L) }, off: p.source.off, size: 4 });
    L.b.emit({ op: "alu", alu: "and", dst: off, a: word, b: { imm: 0xffffn } });
    let from = off;
    if (p.source.rel) {
      from = L.b.newReg();
      L.b.emit({ op: "alu", alu: "add", dst: from, a: off, b: { imm: BigInt(p.source.off + 4) } });
    }
    L.b.emit({ op: "alu", alu: "add", dst: addr, a: programContext(L), b: from });
    return addr;
  }
  const src = p.source;
  const want = p.type.kind === "int" ? p.type.size : 8;
  const size = Math.min(readSize(p), src.size) as 1 | 2 | 4 | 8;
  const r = L.b.newReg();
  // Little-endian: the low bytes of a slot are at its offset, so a narrow load truncates.
  L.b.emit({ op: "load", dst: r, base: { reg: programContext(L) }, off: src.off, size });
  // A declared type wider than the variable or field takes its signedness.
  const signed = p.type.kind === "int" && (want > size ? (p.width?.signed ?? src.signed) : p.type.signed);
  return extendToDeclared(L, p, r, size, signed);
}

/** A value loaded zero-extended from `loadedSize` bytes, as its declared type holds it:
 *  sign-extended when its C type (or, read at the declared width, the declared type) is
 *  signed, then narrowed to a declared unsigned type wider than the C type (an int8_t of
 *  -5 declared u16 is 0xfffb). */
function extendToDeclared(L: Lowerer, p: Param, r: VReg, loadedSize: number, signed: boolean): VReg {
  const s = signExtend(L, r, loadedSize, signed);
  const t = p.type;
  if (s === r || t.kind !== "int" || t.signed || t.size >= 8) return s;
  const n = L.b.newReg();
  L.b.emit({ op: "ext", dst: n, src: s, bits: (t.size * 8) as 8 | 16 | 32, signed: false });
  return n;
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
  L.b.emit({ op: "load", dst: base, base: { reg: programContext(L) }, off: p.source.base, size: 8 });
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
