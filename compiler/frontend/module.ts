// Reads the top level of a probe file: imports, struct declarations, kernel enums, maps,
// programs, helper functions, constants (integer and string), load-time settings, globals
// and the license.
// In: the checked source. Out: a ModuleInfo listing what the file declares, plus a
// diagnostic for every top-level statement outside the subset.

import ts from "typescript";
import { CompileError, makeDiagnostic, type Diagnostic } from "../diagnostics.js";
import { MAP_TYPE, type ProbePoint } from "../object/model.js";
import { I64, U32, U64, type CType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";
import { readFunctions, type FunctionInfo } from "./functions.js";
import { readGlobal, type GlobalInfo } from "./globals.js";
import { layoutData } from "../object/data-layout.js";
import { kernelEnumName, kernelEnumerator } from "./kernel-enums.js";
import { checkMapSizes } from "./map-limits.js";
import { LINEAR_HIST_MAX_BUCKETS, linearHistSlots, type LinearShape } from "./linear-hist.js";
import { LOG2_HIST_SLOTS } from "./log2-hist.js";
import { checkProbePoint, checkUserBinary } from "./probe-points.js";
import type { TypeResolver } from "./types.js";
import { literalType, truncate } from "./values.js";

export type ProgramKind = ProbePoint["kind"];

export interface MapInfo {
  name: string;
  type: number;
  /** Which class declared it (HashMap, RingBuf, ...). */
  className: string;
  kind: MapKind;
  key?: CType;
  /** A keyed map's value type; a ring buffer's record type. */
  value?: CType;
  /** Sizes of a map without key and value types (stack traces, cgroups). */
  keySize?: number;
  valueSize?: number;
  maxEntries: number;
  perCpu: boolean;
  /** A LinearHist's buckets. */
  linear?: LinearShape;
}

export interface ProgramInfo {
  name: string;
  point: ProbePoint;
  handler: ts.ArrowFunction | ts.FunctionExpression;
  node: ts.Node;
}

export interface ModuleInfo {
  license: string;
  maps: Map<ts.Symbol, MapInfo>;
  programs: ProgramInfo[];
  functions: Map<ts.Symbol, FunctionInfo>;
  constants: Map<ts.Symbol, bigint>;
  strings: Map<ts.Symbol, string>;
  globals: Map<ts.Symbol, GlobalInfo>;
  /** Each global's place in its section, by name (object/data-layout.ts): the module's
   *  globals come first in every section, before the static strings lowering adds. */
  globalOffsets: Map<string, number>;
}

/** keyed: key and value types; array: a value type, u32 indexes; ring and perf: a record
 *  type, sent to user space. */
export type MapKind = "keyed" | "array" | "ring" | "perf" | "stacks" | "cgroups";

const MAP_CLASSES: Record<string, { type: number; kind: MapKind; perCpu: boolean }> = {
  HashMap: { type: MAP_TYPE.HASH, kind: "keyed", perCpu: false },
  LruHashMap: { type: MAP_TYPE.LRU_HASH, kind: "keyed", perCpu: false },
  PerCpuHashMap: { type: MAP_TYPE.PERCPU_HASH, kind: "keyed", perCpu: true },
  ArrayMap: { type: MAP_TYPE.ARRAY, kind: "array", perCpu: false },
  PerCpuArrayMap: { type: MAP_TYPE.PERCPU_ARRAY, kind: "array", perCpu: true },
  RingBuf: { type: MAP_TYPE.RINGBUF, kind: "ring", perCpu: false },
  PerfEventArray: { type: MAP_TYPE.PERF_EVENT_ARRAY, kind: "perf", perCpu: false },
  StackTraceMap: { type: MAP_TYPE.STACK_TRACE, kind: "stacks", perCpu: false },
  CgroupArray: { type: MAP_TYPE.CGROUP_ARRAY, kind: "cgroups", perCpu: false },
  Log2Hist: { type: MAP_TYPE.ARRAY, kind: "array", perCpu: false },
  LinearHist: { type: MAP_TYPE.ARRAY, kind: "array", perCpu: false },
};

/** The functions that make programs: their probe point kind and how many names they take. */
const PROGRAM_MAKERS: Record<string, { kind: ProgramKind; arity: number }> = {
  kprobe: { kind: "kprobe", arity: 1 }, kretprobe: { kind: "kretprobe", arity: 1 },
  fentry: { kind: "fentry", arity: 1 }, fexit: { kind: "fexit", arity: 1 },
  uprobe: { kind: "uprobe", arity: 2 }, uretprobe: { kind: "uretprobe", arity: 2 },
  tracepoint: { kind: "tracepoint", arity: 2 },
  tpBtf: { kind: "tp_btf", arity: 1 }, rawTracepoint: { kind: "raw_tp", arity: 1 },
};

export function readModule(ctx: FrontendContext, types: TypeResolver, errors: Diagnostic[]): ModuleInfo {
  const mod: ModuleInfo = {
    license: "GPL", maps: new Map(), programs: [], functions: new Map(), constants: new Map(), strings: new Map(), globals: new Map(), globalOffsets: new Map(),
  };
  const names = new Set<string>();
  const declarations: ts.FunctionDeclaration[] = [];
  for (const stmt of ctx.sf.statements) {
    try {
      readStatement(ctx, types, mod, stmt, names, declarations);
    } catch (e) {
      if (e instanceof CompileError) errors.push(e.diagnostic);
      else throw e;
    }
  }
  try {
    mod.functions = readFunctions(ctx, declarations);
  } catch (e) {
    if (e instanceof CompileError) errors.push(e.diagnostic);
    else throw e;
  }
  for (const { vars } of layoutData([...mod.globals.values()])) for (const { global, offset } of vars) mod.globalOffsets.set(global.name, offset);
  if (mod.programs.length === 0 && errors.length === 0) errors.push(makeDiagnostic("noPrograms", { file: ctx.file, line: 1, col: 1, sourceLine: ctx.lines[0] }));
  return mod;
}

function readStatement(ctx: FrontendContext, types: TypeResolver, mod: ModuleInfo, stmt: ts.Statement, names: Set<string>, declarations: ts.FunctionDeclaration[]): void {
  if (ts.isImportDeclaration(stmt)) {
    const from = ts.isStringLiteral(stmt.moduleSpecifier) ? stmt.moduleSpecifier.text : "";
    if (from === "bpftsc") return;
    // Types and kernel enums may come from declaration files beside the probe (`bpftsc types` output).
    if (from.startsWith(".") && importsTypesAndKernelEnums(ctx, stmt)) return;
    ctx.fail("badImport", stmt);
  }
  if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) return; // resolved where used
  if (ts.isEnumDeclaration(stmt)) {
    if (!kernelEnumName(stmt)) ctx.fail("notKernelEnum", stmt.name, stmt.name.text);
    return; // its enumerators are read where used
  }
  if (ts.isFunctionDeclaration(stmt)) {
    if (!stmt.name || !stmt.body) ctx.fail("unsupportedTopLevel", stmt, "a function needs a name and a body");
    if (hasModifier(stmt, ts.SyntaxKind.ExportKeyword)) ctx.fail("unsupportedTopLevel", stmt, "exported functions; export programs made with kprobe(), uprobe(), ...");
    if (stmt.asteriskToken || hasModifier(stmt, ts.SyntaxKind.AsyncKeyword)) ctx.fail("unsupportedSyntax", stmt, "Generator and async functions");
    declarations.push(stmt);
    return;
  }
  if (!ts.isVariableStatement(stmt)) ctx.fail("unsupportedTopLevel", stmt, ts.SyntaxKind[stmt.kind]);
  const flags = stmt.declarationList.flags;
  if (!(flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))) ctx.fail("unsupportedTopLevel", stmt, "'var' (use const, or let for a global)");
  const exported = hasModifier(stmt, ts.SyntaxKind.ExportKeyword);
  for (const decl of stmt.declarationList.declarations) {
    if (!ts.isIdentifier(decl.name)) ctx.fail("unsupportedTopLevel", decl, "a declaration without a plain name");
    const name = decl.name.text;
    if (names.has(name)) ctx.fail("duplicateName", decl.name, name);
    names.add(name);
    const symbol = ctx.symbolOf(decl.name)!;
    if (flags & ts.NodeFlags.Let) {
      symbolName(ctx, decl.name, "global");
      mod.globals.set(symbol, readGlobal(ctx, types, mod, decl, ".data"));
      continue;
    }
    if (!decl.initializer) ctx.fail("unsupportedTopLevel", decl, "a const without an initializer");
    const init = skipParens(decl.initializer);
    if (name === "LICENSE") {
      mod.license = stringValue(ctx, mod, init) ?? ctx.fail("badLicense", init);
      continue;
    }
    if (ts.isNewExpression(init)) {
      symbolName(ctx, decl.name, "map");
      mod.maps.set(symbol, readMap(ctx, types, mod, name, init));
      continue;
    }
    if (ts.isCallExpression(init) && exported && isProgramCall(ctx, init)) {
      symbolName(ctx, decl.name, "program");
      mod.programs.push(readProgram(ctx, mod, name, init));
      continue;
    }
    if (exported) {
      symbolName(ctx, decl.name, "load-time setting");
      mod.globals.set(symbol, readGlobal(ctx, types, mod, decl, ".rodata"));
      continue;
    }
    const text = stringValue(ctx, mod, init);
    if (text !== undefined) {
      mod.strings.set(symbol, text);
      continue;
    }
    const value = decl.type ? undefined : constantValue(ctx, mod, init);
    if (value !== undefined) {
      // Computed exactly; as a literal, it must fit a u64 or an i64.
      if (value >= 1n << 64n || value < -(1n << 63n)) ctx.fail("intOutOfRange", init, init.getText(ctx.sf));
      mod.constants.set(symbol, value);
      continue;
    }
    ctx.fail("unsupportedTopLevel", decl, "a top-level const must be a map (new HashMap...), an exported program (kprobe(...)) or setting (export const x: u32 = 0), LICENSE, or an integer or string constant; a global variable is a 'let'");
  }
}

function readMap(ctx: FrontendContext, types: TypeResolver, mod: ModuleInfo, name: string, init: ts.NewExpression): MapInfo {
  const className = ctx.runtimeName(init.expression);
  const cls = className ? MAP_CLASSES[className] : undefined;
  if (!className || !cls) return ctx.fail("badMap", init.expression, `'${init.expression.getText(ctx.sf)}' is not a map type; use ${Object.keys(MAP_CLASSES).join(", ")}.`);
  if (cls.kind === "stacks" || cls.kind === "cgroups") return readSizedMap(ctx, mod, name, className, cls.type, cls.kind, init);
  // new Log2Hist(): no type arguments or size (TypeScript has checked that).
  if (className === "Log2Hist") return { name, type: cls.type, className, kind: "array", key: U32, value: U64, maxEntries: LOG2_HIST_SLOTS, perCpu: false };
  if (className === "LinearHist") {
    const linear = linearShape(ctx, mod, init);
    return { name, type: cls.type, className, kind: "array", key: U32, value: U64, maxEntries: linearHistSlots(linear), perCpu: false, linear };
  }
  const targs = init.typeArguments ?? [];
  const want = cls.kind === "keyed" ? 2 : 1;
  const sizeName = cls.kind === "ring" ? "sizeBytes" : cls.kind === "perf" ? "maxEntries?" : "maxEntries";
  if (targs.length !== want) ctx.fail("badMap", init, `${className} needs ${want === 2 ? "key and value types" : cls.kind === "keyed" || cls.kind === "array" ? "a value type" : "a record type"}: new ${className}<${want === 2 ? "K, V" : cls.kind === "array" ? "V" : "T"}>(${sizeName}).`);
  const args = init.arguments ?? [];
  // A perf event array has a buffer per CPU: libbpf sizes it to the CPUs when left out.
  const size = args.length === 1 ? constantValue(ctx, mod, args[0]) : args.length === 0 && cls.kind === "perf" ? 0n : undefined;
  const min = cls.kind === "perf" ? 0n : 1n;
  if (size === undefined || size < min || size > 0xffffffffn) ctx.fail("badMap", args[0] ?? init, `${className} takes ${cls.kind === "perf" ? "at most " : ""}one argument: ${cls.kind === "ring" ? "its size in bytes" : "the maximum number of entries"}, a positive integer constant.`);
  const maxEntries = Number(size);
  const check = (t: CType, what: string, node: ts.Node) => {
    if (t.kind !== "int" && t.kind !== "struct" && t.kind !== "array") ctx.fail("badMapType", node, `${name}'s ${what}`, t.kind);
    return t;
  };
  if (cls.kind === "ring" || cls.kind === "perf") {
    if (cls.kind === "ring" && (maxEntries < 4096 || (maxEntries & (maxEntries - 1)) !== 0)) ctx.fail("badMap", args[0], "A RingBuf's size must be a power of two and at least 4096 bytes (a page).");
    const record = check(types.resolve(targs[0]), "record", targs[0]);
    checkMapSizes(ctx, init, { name, className, record, maxEntries: cls.kind === "ring" ? maxEntries : undefined });
    return { name, type: cls.type, className, kind: cls.kind, value: record, maxEntries, perCpu: false };
  }
  const key = cls.kind === "keyed" ? check(types.resolve(targs[0]), "key", targs[0]) : U32;
  const value = check(types.resolve(targs[want - 1]), "value", targs[want - 1]);
  checkMapSizes(ctx, init, { name, className, kind: cls.kind, key, value, maxEntries, perCpu: cls.perCpu });
  return { name, type: cls.type, className, kind: cls.kind, key, value, maxEntries, perCpu: cls.perCpu };
}

/** `new StackTraceMap(maxEntries, depth = 127)`: stack ids to arrays of `depth` return
 *  addresses; `new CgroupArray(maxEntries)`: cgroup fds user space puts in. Neither has
 *  key or value types, only sizes. */
/** new LinearHist(min, max, step): integer constants, min < max, step > 0, and at most
 *  LINEAR_HIST_MAX_BUCKETS steps between them, as bpftrace's lhist() checks them. */
function linearShape(ctx: FrontendContext, mod: ModuleInfo, init: ts.NewExpression): LinearShape {
  const args = init.arguments ?? [];
  const [min, max, step] = args.map((a) => constantValue(ctx, mod, a));
  const usage = "LinearHist takes min, max and step, integer constants with min < max, step > 0";
  const i64 = (v: bigint | undefined): v is bigint => v !== undefined && v >= -(1n << 63n) && v < 1n << 63n;
  if (args.length !== 3 || !i64(min) || !i64(max) || !i64(step)) return ctx.fail("badMap", init, `${usage}.`);
  if (min >= max || step <= 0n) return ctx.fail("badMap", init, `${usage}; here min ${min}, max ${max}, step ${step}.`);
  if ((max - min) / step > LINEAR_HIST_MAX_BUCKETS) return ctx.fail("badMap", init, `${usage}, and at most ${LINEAR_HIST_MAX_BUCKETS} steps from min to max; here ${(max - min) / step}.`);
  return { min, max, step };
}

function readSizedMap(ctx: FrontendContext, mod: ModuleInfo, name: string, className: string, type: number, kind: "stacks" | "cgroups", init: ts.NewExpression): MapInfo {
  const args = init.arguments ?? [];
  const maxEntries = args[0] ? constantValue(ctx, mod, args[0]) : undefined;
  if (maxEntries === undefined || maxEntries <= 0n || maxEntries > 0xffffffffn || args.length > (kind === "stacks" ? 2 : 1)) {
    ctx.fail("badMap", args[0] ?? init, `${className} takes ${kind === "stacks" ? "the maximum number of stacks and optionally their depth (default 127)" : "the maximum number of cgroups"}, positive integer constants.`);
  }
  const depth = kind === "stacks" && args[1] ? constantValue(ctx, mod, args[1]) : 127n;
  if (depth === undefined || depth < 1n || depth > 127n) ctx.fail("badMap", args[1]!, "A stack's depth is an integer constant from 1 to 127 (the kernel's PERF_MAX_STACK_DEPTH).");
  return { name, type, className, kind, keySize: 4, valueSize: kind === "stacks" ? Number(depth) * 8 : 4, maxEntries: Number(maxEntries), perCpu: false };
}

/** A name that becomes an ELF symbol must be a C identifier. */
export function symbolName(ctx: FrontendContext, id: ts.Identifier, what: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(id.text)) ctx.fail("badSymbolName", id, id.text, what);
}

function isProgramCall(ctx: FrontendContext, call: ts.CallExpression): boolean {
  const name = ctx.runtimeName(call.expression);
  return name !== undefined && name in PROGRAM_MAKERS;
}

function readProgram(ctx: FrontendContext, mod: ModuleInfo, name: string, call: ts.CallExpression): ProgramInfo {
  const maker = ctx.runtimeName(call.expression)!;
  const { kind, arity } = PROGRAM_MAKERS[maker]!;
  const args = call.arguments;
  if (args.length !== arity + 1) ctx.fail("badProgram", call, `${maker}() takes ${arity} name argument${arity > 1 ? "s" : ""} and a handler.`);
  const target = args.slice(0, arity).map((a) => {
    const text = stringValue(ctx, mod, a) ?? ctx.fail("badProgram", a, `The probe point must be a string literal or a string constant.`);
    if (!text || /\s/.test(text)) ctx.fail("badProgram", a, `The probe point '${text}' must be non-empty and have no spaces.`);
    return text;
  });
  const handler = skipParens(args[arity]);
  if (!ts.isArrowFunction(handler) && !ts.isFunctionExpression(handler)) return ctx.fail("badProgram", handler, "The handler must be an arrow function or a function expression.");
  let point: ProbePoint;
  switch (kind) {
    case "uprobe": case "uretprobe":
      checkUserBinary(ctx, target[0], args[0]);
      point = { kind, binary: target[0], symbol: userProbeSymbol(ctx, target[0], target[1], args[1]) };
      break;
    case "tracepoint":
      point = { kind, category: target[0], event: target[1] };
      break;
    case "tp_btf": case "raw_tp":
      point = { kind, event: target[0] };
      break;
    default:
      point = { kind, fn: target[0] };
  }
  checkProbePoint(ctx, point, args.slice(0, arity));
  return { name, point, handler, node: call };
}

/** libbpf's `symbol[+offset]` for a user probe point; `file.c:line` resolved through DWARF. */
function userProbeSymbol(ctx: FrontendContext, binary: string, spec: string, node: ts.Node): string {
  if (!/^.+\.[A-Za-z0-9]+:\d+$/.test(spec)) return spec;
  const point = ctx.user.probePoint(binary, spec, node);
  if (!point) return ctx.fail("noDebugInfo", node, `A probe at ${spec} needs DWARF line information, and ${binary} has none (build it with -g).`);
  return point.offset === 0n ? point.fn.name : `${point.fn.name}+0x${point.offset.toString(16)}`;
}

/** The text of a string literal or of a top-level string constant, if `e` is one. */
export function stringValue(ctx: FrontendContext, mod: ModuleInfo, e: ts.Expression): string | undefined {
  e = skipParens(e);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isIdentifier(e)) {
    const s = ctx.symbolOf(e);
    return s ? mod.strings.get(s) : undefined;
  }
  return undefined;
}

/** The value of an integer constant expression at the top level, if it is one. */
export function constantValue(ctx: FrontendContext, mod: ModuleInfo, e: ts.Expression): bigint | undefined {
  e = skipParens(e);
  const literal = integerLiteral(ctx, e);
  if (literal !== undefined) return literal;
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) {
    const v = constantValue(ctx, mod, e.operand);
    return v === undefined ? undefined : -v;
  }
  if (ts.isIdentifier(e)) {
    const s = ctx.symbolOf(e);
    return s ? mod.constants.get(s) : undefined;
  }
  if (ts.isPropertyAccessExpression(e)) return kernelEnumerator(ctx, e)?.value;
  if (ts.isBinaryExpression(e)) {
    const a = constantValue(ctx, mod, e.left);
    const b = constantValue(ctx, mod, e.right);
    if (a === undefined || b === undefined) return undefined;
    switch (e.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      // The count modulo 64, as at run time (README "Integer semantics").
      case ts.SyntaxKind.LessThanLessThanToken: return a << (b & 63n);
      case ts.SyntaxKind.BarToken: return a | b;
      case ts.SyntaxKind.AmpersandToken: return a & b;
    }
  }
  return undefined;
}

/** The value a constant expression in a function has at run time: constantValue's exact
 *  value taken to 64 bits, a u64 if one of its literals or constants is 2^63 or more,
 *  else an i64 (README "Integer semantics"): `12 << 63` is 0 there, `1 << 63` negative. */
export function runtimeConstant(ctx: FrontendContext, mod: ModuleInfo, e: ts.Expression): bigint | undefined {
  const v = constantValue(ctx, mod, e);
  if (v === undefined) return undefined;
  return truncate(v, hasU64Operand(ctx, mod, e) ? U64 : I64);
}

/** Whether a constant expression has a literal or a constant that is a u64 (literalType). */
function hasU64Operand(ctx: FrontendContext, mod: ModuleInfo, e: ts.Expression): boolean {
  e = skipParens(e);
  if (ts.isBinaryExpression(e)) return hasU64Operand(ctx, mod, e.left) || hasU64Operand(ctx, mod, e.right);
  if (ts.isPrefixUnaryExpression(e)) return hasU64Operand(ctx, mod, e.operand);
  const v = constantValue(ctx, mod, e);
  return v !== undefined && literalType(v) !== undefined;
}

/** The value of an integer literal (numeric or bigint); undefined for anything else,
 *  a floating-point literal included. */
export function integerLiteral(ctx: FrontendContext, e: ts.Expression): bigint | undefined {
  // The source text, not .text: TypeScript rewrites numeric literals through a double.
  if (ts.isNumericLiteral(e)) return parseIntegerLiteral(e.getText(ctx.sf));
  if (ts.isBigIntLiteral(e)) return BigInt(e.text.slice(0, -1));
  return undefined;
}

/** A numeric literal's integer value, or undefined for a floating-point literal. */
export function parseIntegerLiteral(text: string): bigint | undefined {
  const t = text.replace(/_/g, "");
  if (/^0[xob]/i.test(t)) return BigInt(t);
  if (/^\d+$/.test(t)) return BigInt(t);
  return undefined;
}

/** `import type { ... }`, or named imports each of a type (`type file`) or a kernel enum. */
function importsTypesAndKernelEnums(ctx: FrontendContext, stmt: ts.ImportDeclaration): boolean {
  const clause = stmt.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  const isKernelEnum = (e: ts.ImportSpecifier): boolean => {
    const decl = ctx.symbolOf(e.name)?.declarations?.[0];
    return !!decl && kernelEnumName(decl) !== undefined;
  };
  return !clause.name && !!named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly || isKernelEnum(e));
}

/** The expression inside parentheses and `as const` (which TypeScript parses as a type
 *  reference named `const`). */
export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) && ts.isConstTypeReference(e.type)) e = e.expression;
  return e;
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}
