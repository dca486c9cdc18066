// BTF types as the calling convention sees them, so that a target can place a kernel
// function's arguments (a struct passed by value in two registers, or on the stack).
// In: a BtfTable and a type id. Out: its AbiType (typedefs and modifiers skipped; a
// bitfield member as the byte that holds its first bit; a struct or union that BTF sizes
// but lists no members of, as pahole writes a transparent union such as
// release_pages_arg, as integer bytes: kernel code passes no floating point).

import type { AbiMember, AbiType } from "../target/index.js";
import type { BtfTable, RawMember } from "./btf-read.js";

const VOID: AbiType = { kind: "void" };
const BYTE: AbiType = { kind: "int", size: 1, align: 1 };

export function btfAbiType(table: BtfTable, id: number, depth = 0): AbiType {
  if (depth > 32) return VOID; // a malformed blob whose struct embeds itself
  const r = table.type(table.skipModsAndTypedefs(id));
  switch (r.kind) {
    case "void": return VOID;
    case "int": case "enum": case "enum64": return { kind: "int", size: r.size, align: natural(r.size) };
    case "ptr": return { kind: "pointer", size: 8, align: 8 };
    case "float": return { kind: "float", size: r.size, align: natural(r.size), complex: false, longDouble: r.name === "long double" };
    case "array": return { kind: "array", elem: btfAbiType(table, r.elem, depth + 1), count: r.nelems };
    case "struct": case "union":
      if (r.members.length === 0 && r.size > 0) return { kind: "array", elem: BYTE, count: r.size };
      return { kind: "struct", size: r.size, members: r.members.map((m) => member(table, m, depth)) };
    default: return { kind: "opaque", size: 0 }; // a declaration only (fwd), or not a data type
  }
}

function member(table: BtfTable, m: RawMember, depth: number): AbiMember {
  const t = table.type(table.skipModsAndTypedefs(m.type));
  // Without kind_flag, a bitfield's offset and width are in its INT type's encoding.
  const intBits = t.kind === "int" && (t.bits !== t.size * 8 || t.bitOffset !== 0) ? t.bitOffset : undefined;
  const bitOffset = m.bitOffset + (intBits ?? 0);
  if (m.bitfieldSize > 0 || intBits !== undefined || bitOffset % 8 !== 0) return { offset: Math.floor(bitOffset / 8), type: BYTE };
  return { offset: bitOffset / 8, type: btfAbiType(table, m.type, depth + 1) };
}

function natural(size: number): number {
  return Math.max(1, Math.min(size, 16));
}
