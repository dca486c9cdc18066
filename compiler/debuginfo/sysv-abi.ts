// Where the System V x86-64 calling convention puts a function's arguments at its first
// instruction (psABI §3.2.3): each argument's DWARF type is classified per eightbyte
// (INTEGER, SSE, X87, MEMORY); INTEGER eightbytes take rdi, rsi, rdx, rcx, r8, r9 in
// turn, SSE ones xmm0–7, and what does not fit (or is MEMORY/X87) goes to the stack,
// from rsp+8 at entry, each argument 8-byte aligned (16 when its type asks for it). A
// function returning a MEMORY-class value takes the hidden result pointer in rdi first.
// In: a DwarfContext and the type DIE offsets of the return value and the parameters.
// Out: each parameter's entry location as a LocExpr (a register, or memory at rsp+N),
// or "unsupported" for values in SSE registers or split over two registers.

import type { LocExpr } from "./dwarf-loc.js";
import { DW_AT, DW_ATE, DW_TAG } from "./dwarf-consts.js";
import type { DwarfContext } from "./dwarf-units.js";

type Class = "NO_CLASS" | "INTEGER" | "SSE" | "X87" | "MEMORY";

interface Classified {
  size: number;
  align: number;
  /** One class per eightbyte; ["MEMORY"] when passed in memory. */
  classes: Class[];
}

const INT_ARG_REGS = [5, 4, 1, 2, 8, 9]; // rdi rsi rdx rcx r8 r9 (DWARF numbers)

function merge(a: Class, b: Class): Class {
  if (a === b) return a;
  if (a === "NO_CLASS") return b;
  if (b === "NO_CLASS") return a;
  if (a === "MEMORY" || b === "MEMORY") return "MEMORY";
  if (a === "INTEGER" || b === "INTEGER") return "INTEGER";
  if (a === "X87" || b === "X87") return "MEMORY";
  return "SSE";
}

const QUALS = new Set<number>([DW_TAG.typedef, DW_TAG.const_type, DW_TAG.volatile_type, DW_TAG.restrict_type, DW_TAG.atomic_type]);

/** Classifies a type DIE (undefined: void). */
export function classify(ctx: DwarfContext, offset: number | undefined, depth = 0): Classified {
  if (offset === undefined || depth > 32) return { size: 0, align: 1, classes: [] };
  const die = ctx.die(offset);
  const sig = ctx.ref(die, DW_AT.signature);
  if (sig !== undefined) return classify(ctx, sig, depth + 1);
  if (QUALS.has(die.tag)) return classify(ctx, ctx.ref(die, DW_AT.type), depth + 1);
  const size = ctx.num(die, DW_AT.byte_size) ?? 0;
  switch (die.tag) {
    case DW_TAG.pointer_type: case DW_TAG.reference_type: case DW_TAG.rvalue_reference_type: case DW_TAG.ptr_to_member_type:
      return { size: 8, align: 8, classes: ["INTEGER"] };
    case DW_TAG.enumeration_type:
      return { size: size || 4, align: size || 4, classes: ["INTEGER"] };
    case DW_TAG.base_type: {
      const enc = ctx.num(die, DW_AT.encoding);
      if (enc === DW_ATE.float) {
        if (size === 16 && ctx.str(die, DW_AT.name)?.includes("long double")) return { size, align: 16, classes: ["X87"] };
        return { size, align: size, classes: size > 8 ? ["SSE", "SSE"] : ["SSE"] };
      }
      if (enc === DW_ATE.complex_float) {
        if (size === 32) return { size, align: 16, classes: ["MEMORY"] }; // complex long double
        return { size, align: size / 2, classes: size > 8 ? ["SSE", "SSE"] : ["SSE"] };
      }
      return { size, align: Math.min(size, 16) || 1, classes: size > 8 ? ["INTEGER", "INTEGER"] : ["INTEGER"] };
    }
    case DW_TAG.structure_type: case DW_TAG.class_type: case DW_TAG.union_type: {
      if (size > 16 || size === 0) return { size, align: 8, classes: ["MEMORY"] };
      const classes: Class[] = size > 8 ? ["NO_CLASS", "NO_CLASS"] : ["NO_CLASS"];
      let align = 1;
      for (const m of ctx.children(die)) {
        if (m.tag !== DW_TAG.member || ctx.flag(m, DW_AT.external) || ctx.flag(m, DW_AT.declaration)) continue;
        const bitSize = ctx.num(m, DW_AT.bit_size);
        const loc = ctx.num(m, DW_AT.data_member_location) ?? Math.floor((ctx.num(m, DW_AT.data_bit_offset) ?? 0) / 8);
        if (bitSize !== undefined) {
          classes[Math.min(Math.floor(loc / 8), classes.length - 1)] = merge(classes[Math.min(Math.floor(loc / 8), classes.length - 1)]!, "INTEGER");
          continue;
        }
        const f = classify(ctx, ctx.ref(m, DW_AT.type), depth + 1);
        align = Math.max(align, f.align);
        if (f.classes[0] === "MEMORY" || loc % f.align !== 0) return { size, align, classes: ["MEMORY"] };
        f.classes.forEach((c, i) => {
          const at = Math.floor(loc / 8) + i;
          if (at < classes.length) classes[at] = merge(classes[at]!, c);
        });
      }
      if (classes.includes("MEMORY") || classes.includes("X87")) return { size, align, classes: ["MEMORY"] };
      return { size, align: ctx.num(die, DW_AT.alignment) ?? align, classes: classes.map((c) => (c === "NO_CLASS" ? "SSE" : c)) };
    }
    case DW_TAG.array_type: {
      const elem = classify(ctx, ctx.ref(die, DW_AT.type), depth + 1);
      let n = 1;
      for (const c of ctx.children(die)) {
        if (c.tag !== DW_TAG.subrange_type) continue;
        const count = ctx.num(c, DW_AT.count) ?? ((ctx.num(c, DW_AT.upper_bound) ?? -1) + 1);
        n *= count;
      }
      const total = elem.size * n;
      if (total > 16 || total === 0 || elem.classes[0] === "MEMORY") return { size: total, align: elem.align, classes: ["MEMORY"] };
      const classes: Class[] = total > 8 ? ["NO_CLASS", "NO_CLASS"] : ["NO_CLASS"];
      for (let i = 0; i < n; i++) {
        elem.classes.forEach((c, j) => {
          const at = Math.floor((i * elem.size) / 8) + j;
          if (at < classes.length) classes[at] = merge(classes[at]!, c);
        });
      }
      return { size: total, align: elem.align, classes: classes.map((c) => (c === "NO_CLASS" ? "SSE" : c)) };
    }
    default:
      return { size, align: 8, classes: ["MEMORY"] };
  }
}

/**
 * The entry locations of parameters with these type DIE offsets, for a function
 * returning `returnType`: registers or memory at rsp+N (N ≥ 8) at the function's first
 * instruction.
 */
export function sysvEntryLocations(ctx: DwarfContext, returnType: number | undefined, params: (number | undefined)[]): LocExpr[] {
  let nextInt = 0;
  let nextSse = 0;
  let stack = 8; // rsp+0 holds the return address
  const ret = classify(ctx, returnType);
  if (ret.classes[0] === "MEMORY") nextInt = 1; // the hidden result pointer takes rdi
  const out: LocExpr[] = [];
  for (const t of params) {
    const c = classify(ctx, t);
    const ints = c.classes.filter((x) => x === "INTEGER").length;
    const sses = c.classes.filter((x) => x === "SSE").length;
    const inMemory = c.classes[0] === "MEMORY" || c.classes[0] === "X87" || nextInt + ints > 6 || nextSse + sses > 8;
    if (inMemory) {
      const align = Math.max(8, c.align > 8 ? 16 : 8);
      stack = Math.ceil(stack / align) * align;
      out.push({ kind: "breg", reg: 7, offset: BigInt(stack), deref: false });
      stack += Math.ceil(Math.max(c.size, 1) / 8) * 8;
      continue;
    }
    const where: string[] = [];
    let firstReg = -1;
    for (const k of c.classes) {
      if (k === "INTEGER") {
        if (firstReg < 0) firstReg = INT_ARG_REGS[nextInt]!;
        where.push(["rdi", "rsi", "rdx", "rcx", "r8", "r9"][nextInt++]!);
      } else {
        where.push(`xmm${nextSse++}`);
      }
    }
    if (c.classes.length === 1 && c.classes[0] === "INTEGER") out.push({ kind: "reg", reg: firstReg });
    else out.push({ kind: "unsupported", ops: `passed in ${where.join(" and ")}` });
  }
  return out;
}
