// Where the calling convention puts a function's parameters at its first instruction,
// from their DWARF types: each type DIE is described as an AbiType (size, alignment,
// members), the target places them, and each place becomes a LocExpr.
// In: a DwarfContext, the Target, and the type DIE offsets of the return value and the
// parameters. Out: each parameter's entry location as a LocExpr (a register, or memory at
// sp+N), or "unsupported" for a value split over two registers or in floating-point ones.

import type { AbiMember, AbiType, ArgPlace, Target } from "../target/index.js";
import { DW_AT, DW_ATE, DW_TAG } from "./dwarf-consts.js";
import { regName, type LocExpr } from "./dwarf-loc.js";
import type { DwarfContext } from "./dwarf-units.js";

const QUALS = new Set<number>([DW_TAG.typedef, DW_TAG.const_type, DW_TAG.volatile_type, DW_TAG.restrict_type, DW_TAG.atomic_type]);
const VOID: AbiType = { kind: "void" };
const BITFIELD_BYTE: AbiType = { kind: "int", size: 1, align: 1 };

/** The entry locations of parameters with these type DIE offsets (undefined: void), for a
 *  function returning `returnType`. */
export function abiEntryLocations(ctx: DwarfContext, target: Target, returnType: number | undefined, params: (number | undefined)[]): LocExpr[] {
  const seen = new Map<number, AbiType>();
  const places = target.placeArgs(abiType(ctx, returnType, seen), params.map((t) => abiType(ctx, t, seen)));
  return places.map((p) => locationOf(target, p));
}

function locationOf(target: Target, p: ArgPlace): LocExpr {
  switch (p.kind) {
    case "regs":
      if (p.regs.length === 1) return { kind: "reg", reg: p.regs[0]!.dwarf };
      return passedIn(p.regs.map((r) => regName(target.dwarfNames, r.dwarf)));
    case "mem": return { kind: "breg", reg: p.base.dwarf, offset: BigInt(p.offset), deref: p.deref ?? false };
    case "fpregs": return passedIn(p.names);
  }
}

function passedIn(names: readonly string[]): LocExpr {
  return { kind: "unsupported", ops: `passed in ${names.join(" and ")}` };
}

/** A type DIE as the calling convention sees it; `seen` shares the types of one function. */
function abiType(ctx: DwarfContext, offset: number | undefined, seen: Map<number, AbiType>, depth = 0): AbiType {
  if (offset === undefined || depth > 32) return VOID;
  let t = seen.get(offset);
  if (!t) {
    t = describe(ctx, offset, seen, depth);
    seen.set(offset, t);
  }
  return t;
}

function describe(ctx: DwarfContext, offset: number, seen: Map<number, AbiType>, depth: number): AbiType {
  const die = ctx.die(offset);
  const sig = ctx.ref(die, DW_AT.signature);
  if (sig !== undefined) return abiType(ctx, sig, seen, depth + 1);
  if (QUALS.has(die.tag)) return abiType(ctx, ctx.ref(die, DW_AT.type), seen, depth + 1);
  const size = ctx.num(die, DW_AT.byte_size) ?? 0;
  switch (die.tag) {
    case DW_TAG.pointer_type: case DW_TAG.reference_type: case DW_TAG.rvalue_reference_type: case DW_TAG.ptr_to_member_type:
      return { kind: "pointer", size: die.unit.addrSize, align: die.unit.addrSize };
    case DW_TAG.enumeration_type:
      return { kind: "int", size: size || 4, align: size || 4 };
    case DW_TAG.base_type: {
      const enc = ctx.num(die, DW_AT.encoding);
      const longDouble = ctx.str(die, DW_AT.name)?.includes("long double") ?? false;
      if (enc === DW_ATE.float) return { kind: "float", size, align: size, complex: false, longDouble };
      if (enc === DW_ATE.complex_float) return { kind: "float", size, align: size / 2, complex: true, longDouble };
      return { kind: "int", size, align: Math.min(size, 16) || 1 };
    }
    case DW_TAG.structure_type: case DW_TAG.class_type: case DW_TAG.union_type: {
      const members: AbiMember[] = [];
      for (const m of ctx.children(die)) {
        if (m.tag !== DW_TAG.member || ctx.flag(m, DW_AT.external) || ctx.flag(m, DW_AT.declaration)) continue;
        const at = ctx.num(m, DW_AT.data_member_location) ?? Math.floor((ctx.num(m, DW_AT.data_bit_offset) ?? 0) / 8);
        const bitField = ctx.num(m, DW_AT.bit_size) !== undefined;
        members.push({ offset: at, type: bitField ? BITFIELD_BYTE : abiType(ctx, ctx.ref(m, DW_AT.type), seen, depth + 1) });
      }
      return { kind: "struct", size, align: ctx.num(die, DW_AT.alignment), members };
    }
    case DW_TAG.array_type: {
      let count = 1;
      for (const c of ctx.children(die)) {
        if (c.tag === DW_TAG.subrange_type) count *= ctx.num(c, DW_AT.count) ?? ((ctx.num(c, DW_AT.upper_bound) ?? -1) + 1);
      }
      return { kind: "array", elem: abiType(ctx, ctx.ref(die, DW_AT.type), seen, depth + 1), count };
    }
    default:
      return { kind: "opaque", size };
  }
}
