// DWARF location expressions (DW_OP_*): decoding an expression's operations and
// classifying the common single-location shapes a probe can fetch.
// In: expression bytes and the unit's address/offset sizes (plus a resolver for
// DW_OP_addrx/constx). Out: a LocExpr (register, register+offset memory, frame-base
// offset, CFA, static address, constant value, entry value) or "unsupported" with the
// expression spelled out.

import { ByteReader, DebugFormatError } from "./byte-reader.js";

/**
 * Where a variable is, at the pcs the location applies to:
 * - reg: its value is in DWARF register `reg`;
 * - breg: it lives in memory at reg+offset; with `deref`, the memory address is the
 *   pointer stored at reg+offset;
 * - fbreg: it lives in memory at (the function's frame base)+offset;
 * - cfa: it lives in memory at the canonical frame address;
 * - addr: it lives in memory at a fixed link-time address (add the load bias of a PIE/DSO);
 * - value: it has this constant value (DW_OP_lit/const* + DW_OP_stack_value, implicit_value, DW_AT_const_value);
 * - entry_value: its value is what register `reg` held on entry to the function;
 * - unsupported: anything else (computed values, pieces, TLS), spelled out in `ops`.
 */
export type LocExpr =
  | { kind: "reg"; reg: number }
  | { kind: "breg"; reg: number; offset: bigint; deref: boolean }
  | { kind: "fbreg"; offset: bigint }
  | { kind: "cfa" }
  | { kind: "addr"; addr: bigint }
  | { kind: "value"; value: bigint }
  | { kind: "entry_value"; reg: number }
  | { kind: "unsupported"; ops: string };

export interface ExprShape {
  addrSize: number;
  is64: boolean;
  /** Register names by DWARF number, for spelling expressions out (Target.dwarfNames). */
  regNames: readonly string[];
}

export type Operand = bigint | Uint8Array;

export interface Op {
  code: number;
  args: Operand[];
}

type Kind = "u8" | "s8" | "u16" | "s16" | "u32" | "s32" | "u64" | "s64" | "uleb" | "sleb" | "addr" | "off" | "block" | "typed_const";

const OPS: Record<number, [string, Kind[]]> = {
  0x03: ["addr", ["addr"]], 0x06: ["deref", []], 0x08: ["const1u", ["u8"]], 0x09: ["const1s", ["s8"]],
  0x0a: ["const2u", ["u16"]], 0x0b: ["const2s", ["s16"]], 0x0c: ["const4u", ["u32"]], 0x0d: ["const4s", ["s32"]],
  0x0e: ["const8u", ["u64"]], 0x0f: ["const8s", ["s64"]], 0x10: ["constu", ["uleb"]], 0x11: ["consts", ["sleb"]],
  0x12: ["dup", []], 0x13: ["drop", []], 0x14: ["over", []], 0x15: ["pick", ["u8"]], 0x16: ["swap", []],
  0x17: ["rot", []], 0x18: ["xderef", []], 0x19: ["abs", []], 0x1a: ["and", []], 0x1b: ["div", []],
  0x1c: ["minus", []], 0x1d: ["mod", []], 0x1e: ["mul", []], 0x1f: ["neg", []], 0x20: ["not", []],
  0x21: ["or", []], 0x22: ["plus", []], 0x23: ["plus_uconst", ["uleb"]], 0x24: ["shl", []], 0x25: ["shr", []],
  0x26: ["shra", []], 0x27: ["xor", []], 0x28: ["bra", ["s16"]], 0x29: ["eq", []], 0x2a: ["ge", []],
  0x2b: ["gt", []], 0x2c: ["le", []], 0x2d: ["lt", []], 0x2e: ["ne", []], 0x2f: ["skip", ["s16"]],
  0x90: ["regx", ["uleb"]], 0x91: ["fbreg", ["sleb"]], 0x92: ["bregx", ["uleb", "sleb"]], 0x93: ["piece", ["uleb"]],
  0x94: ["deref_size", ["u8"]], 0x95: ["xderef_size", ["u8"]], 0x96: ["nop", []], 0x97: ["push_object_address", []],
  0x98: ["call2", ["u16"]], 0x99: ["call4", ["u32"]], 0x9a: ["call_ref", ["off"]], 0x9b: ["form_tls_address", []],
  0x9c: ["call_frame_cfa", []], 0x9d: ["bit_piece", ["uleb", "uleb"]], 0x9e: ["implicit_value", ["block"]],
  0x9f: ["stack_value", []], 0xa0: ["implicit_pointer", ["off", "sleb"]], 0xa1: ["addrx", ["uleb"]],
  0xa2: ["constx", ["uleb"]], 0xa3: ["entry_value", ["block"]], 0xa4: ["const_type", ["typed_const"]],
  0xa5: ["regval_type", ["uleb", "uleb"]], 0xa6: ["deref_type", ["u8", "uleb"]], 0xa7: ["xderef_type", ["u8", "uleb"]],
  0xa8: ["convert", ["uleb"]], 0xa9: ["reinterpret", ["uleb"]],
  0xe0: ["GNU_push_tls_address", []], 0xf0: ["GNU_uninit", []], 0xf2: ["GNU_implicit_pointer", ["off", "sleb"]],
  0xf3: ["GNU_entry_value", ["block"]], 0xf4: ["GNU_const_type", ["typed_const"]], 0xf5: ["GNU_regval_type", ["uleb", "uleb"]],
  0xf6: ["GNU_deref_type", ["u8", "uleb"]], 0xf7: ["GNU_convert", ["uleb"]], 0xf9: ["GNU_reinterpret", ["uleb"]],
  0xfa: ["GNU_parameter_ref", ["u32"]], 0xfb: ["GNU_addr_index", ["uleb"]], 0xfc: ["GNU_const_index", ["uleb"]],
  0xfd: ["GNU_variable_value", ["off"]],
};

function opInfo(code: number): [string, Kind[]] | undefined {
  if (code >= 0x30 && code <= 0x4f) return [`lit${code - 0x30}`, []];
  if (code >= 0x50 && code <= 0x6f) return [`reg${code - 0x50}`, []];
  if (code >= 0x70 && code <= 0x8f) return [`breg${code - 0x70}`, ["sleb"]];
  return OPS[code];
}

/** Splits an expression into operations; throws on an unknown opcode. */
export function decodeOps(expr: Uint8Array, shape: ExprShape): Op[] {
  const r = new ByteReader(expr);
  const ops: Op[] = [];
  while (r.pos < expr.length) {
    const code = r.u8();
    const info = opInfo(code);
    if (!info) throw new DebugFormatError(`unknown DWARF expression opcode 0x${code.toString(16)}`);
    const args: Operand[] = [];
    for (const k of info[1]) {
      switch (k) {
        case "u8": args.push(BigInt(r.u8())); break;
        case "s8": args.push(BigInt(r.i8())); break;
        case "u16": args.push(BigInt(r.u16())); break;
        case "s16": args.push(BigInt(r.i16())); break;
        case "u32": args.push(BigInt(r.u32())); break;
        case "s32": args.push(BigInt(r.i32())); break;
        case "u64": args.push(r.u64()); break;
        case "s64": args.push(r.i64()); break;
        case "uleb": args.push(r.ulebBig()); break;
        case "sleb": args.push(r.slebBig()); break;
        case "addr": args.push(r.uSized(shape.addrSize)); break;
        case "off": args.push(BigInt(r.offset(shape.is64))); break;
        case "block": args.push(r.bytes(r.uleb())); break;
        case "typed_const": {
          args.push(r.ulebBig());
          args.push(r.bytes(r.u8()));
          break;
        }
      }
    }
    ops.push({ code, args });
  }
  return ops;
}

/** An expression spelled out, e.g. "DW_OP_breg7 (rsp) +8, DW_OP_deref". */
export function formatOps(ops: Op[], shape: ExprShape): string {
  return ops.map((o) => formatOp(o, shape)).join(", ");
}

function formatOp(o: Op, shape: ExprShape): string {
  const name = `DW_OP_${opInfo(o.code)![0]}`;
  const reg = (n: number) => regName(shape.regNames, n);
  if (o.code >= 0x50 && o.code <= 0x6f) return `${name} (${reg(o.code - 0x50)})`;
  if (o.code >= 0x70 && o.code <= 0x8f) return `${name} (${reg(o.code - 0x70)}) ${signed(o.args[0] as bigint)}`;
  if (o.code === 0x90) return `${name} (${reg(Number(o.args[0]))})`;
  if (o.code === 0x92) return `${name} (${reg(Number(o.args[0]))}) ${signed(o.args[1] as bigint)}`;
  if (o.code === 0xa3 || o.code === 0xf3) {
    let inner: string;
    try {
      inner = formatOps(decodeOps(o.args[0] as Uint8Array, shape), shape);
    } catch {
      inner = "?";
    }
    return `${name}(${inner})`;
  }
  const args = o.args.map((a) => (a instanceof Uint8Array ? `[${[...a].map((b) => b.toString(16).padStart(2, "0")).join(" ")}]` : o.code === 0x03 ? `0x${a.toString(16)}` : a.toString()));
  return args.length ? `${name} ${args.join(" ")}` : name;
}

/** A DWARF register's name from `names`, or "reg<n>" for one it lacks. */
export function regName(names: readonly string[], reg: number): string {
  return names[reg] ?? `reg${reg}`;
}

function signed(v: bigint): string {
  return v < 0n ? `${v}` : `+${v}`;
}

/** Resolves DW_OP_addrx / DW_OP_constx indexes against the unit's .debug_addr table. */
export type AddrIndexResolver = (index: number) => bigint;

/** Classifies a location expression (see LocExpr). */
export function classifyExpr(expr: Uint8Array, shape: ExprShape, addrx?: AddrIndexResolver): LocExpr {
  let ops: Op[];
  try {
    ops = decodeOps(expr, shape);
  } catch (e) {
    return { kind: "unsupported", ops: `undecodable expression (${(e as Error).message})` };
  }
  const c = classifyOps(ops, shape, addrx);
  return c ?? { kind: "unsupported", ops: formatOps(ops, shape) };
}

function classifyOps(ops: Op[], shape: ExprShape, addrx?: AddrIndexResolver): LocExpr | undefined {
  const n = ops.length;
  if (n === 0) return undefined;
  const [a, b] = ops;
  const code = a!.code;
  const isStackValue = n === 2 && b!.code === 0x9f;

  if (n === 1) {
    if (code >= 0x50 && code <= 0x6f) return { kind: "reg", reg: code - 0x50 };
    if (code === 0x90) return { kind: "reg", reg: Number(a!.args[0]) };
    if (code >= 0x70 && code <= 0x8f) return { kind: "breg", reg: code - 0x70, offset: a!.args[0] as bigint, deref: false };
    if (code === 0x92) return { kind: "breg", reg: Number(a!.args[0]), offset: a!.args[1] as bigint, deref: false };
    if (code === 0x91) return { kind: "fbreg", offset: a!.args[0] as bigint };
    if (code === 0x9c) return { kind: "cfa" };
    if (code === 0x03) return { kind: "addr", addr: a!.args[0] as bigint };
    if ((code === 0xa1 || code === 0xfb) && addrx) return { kind: "addr", addr: addrx(Number(a!.args[0])) };
    if (code === 0x9e) {
      const bytes = a!.args[0] as Uint8Array;
      if (bytes.length <= 8) {
        let v = 0n;
        for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
        return { kind: "value", value: v };
      }
    }
    return undefined;
  }
  if (n === 2 && b!.code === 0x06) {
    if (code >= 0x70 && code <= 0x8f) return { kind: "breg", reg: code - 0x70, offset: a!.args[0] as bigint, deref: true };
    if (code === 0x92) return { kind: "breg", reg: Number(a!.args[0]), offset: a!.args[1] as bigint, deref: true };
  }
  if (isStackValue) {
    const v = constantOp(a!, shape, addrx);
    if (v !== undefined) return { kind: "value", value: v };
    if (code === 0xa3 || code === 0xf3) {
      let inner: Op[];
      try {
        inner = decodeOps(a!.args[0] as Uint8Array, shape);
      } catch {
        return undefined;
      }
      if (inner.length === 1) {
        const ic = inner[0]!.code;
        if (ic >= 0x50 && ic <= 0x6f) return { kind: "entry_value", reg: ic - 0x50 };
        if (ic === 0x90) return { kind: "entry_value", reg: Number(inner[0]!.args[0]) };
      }
    }
  }
  return undefined;
}

function constantOp(o: Op, _shape: ExprShape, addrx?: AddrIndexResolver): bigint | undefined {
  const c = o.code;
  if (c >= 0x30 && c <= 0x4f) return BigInt(c - 0x30);
  if (c >= 0x08 && c <= 0x11) return o.args[0] as bigint;
  if ((c === 0xa2 || c === 0xfc) && addrx) return addrx(Number(o.args[0]));
  return undefined;
}
