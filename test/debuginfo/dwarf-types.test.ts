// DWARF types → CType: struct member names and offsets, unions, anonymous members,
// bit-fields (left out), packed structs, arrays, enums and qualifiers, against
// llvm-dwarfdump; and the cycle through `struct node *next`.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findFunction, readDebugInfo, type DwarfFunction } from "../../compiler/debuginfo/dwarf.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { typeToString, type CType, type StructType } from "../../compiler/types/ctype.js";
import { FIXTURES, build, dwarfdumpTree, oFunction, oName, oNum, oRef, oTypeString, type ODie, type OTree } from "./dwarf-oracle.js";

const SRC = join(FIXTURES, "dwarf-types.c");

/** The struct a parameter's type points to (through typedefs and qualifiers in the oracle). */
function oPointee(t: OTree, param: ODie): ODie {
  let d = t.byOffset.get(oRef(param, "DW_AT_type")!)!;
  while (d.tag !== "DW_TAG_structure_type" && d.tag !== "DW_TAG_union_type") d = t.byOffset.get(oRef(d, "DW_AT_type")!)!;
  return d;
}

/** Expected fields: named non-bit-field members; anonymous struct/union members flattened. */
function oFields(t: OTree, st: ODie, base = 0): { name: string; offset: number; type: string }[] {
  const out: { name: string; offset: number; type: string }[] = [];
  for (const m of st.children) {
    if (m.tag !== "DW_TAG_member" || m.attrs.has("DW_AT_bit_size")) continue;
    const off = base + (oNum(m, "DW_AT_data_member_location") ?? 0);
    const name = oName(m);
    if (name === undefined) {
      out.push(...oFields(t, t.byOffset.get(oRef(m, "DW_AT_type")!)!, off));
      continue;
    }
    out.push({ name, offset: off, type: oTypeString(t, oRef(m, "DW_AT_type")) });
  }
  return out;
}

function pointee(fn: DwarfFunction, name: string): StructType {
  const t = fn.params.find((p) => p.name === name)!.type;
  if (t.kind !== "ptr" || t.to.kind !== "struct") throw new Error(`${name} is ${typeToString(t)}`);
  return t.to;
}

describe.each([
  { label: "gcc DWARF 5", cc: "gcc", flags: ["-g", "-O0"] },
  { label: "gcc DWARF 4", cc: "gcc", flags: ["-gdwarf-4", "-O0"] },
  { label: "clang DWARF 5", cc: "clang", flags: ["-g", "-O0"] },
])("$label", ({ cc, flags }) => {
  const bin = build(cc, flags, SRC);
  const tree = dwarfdumpTree(bin);
  const info = readDebugInfo(readFileSync(bin), x86_64)!;
  const fn = findFunction(info, "use_types")!;
  const ofn = oFunction(tree, "use_types")!;
  const oParams = ofn.children.filter((c) => c.tag === "DW_TAG_formal_parameter");

  it("finds use_types and its ten parameters", () => {
    expect(fn.params.map((p) => p.name)).toEqual(oParams.map((p) => oName(p)));
  });

  it.each(["n", "cn", "wb", "wa", "p", "fl", "ar"])("struct behind %s: name, size, member names, offsets and types", (pname) => {
    const st = pointee(fn, pname);
    const ost = oPointee(tree, oParams.find((p) => oName(p) === pname)!);
    expect(st.size).toBe(oNum(ost, "DW_AT_byte_size"));
    expect(st.name).toBe(oName(ost));
    expect(st.fields.map((f) => ({ name: f.name, offset: f.offset, type: typeToString(f.type) }))).toEqual(oFields(tree, ost));
  });

  it("enums are integers of their size and signedness", () => {
    const byName = (n: string): string => typeToString(fn.params.find((p) => p.name === n)!.type);
    for (const n of ["es", "eb", "en"]) {
      const o = oParams.find((p) => oName(p) === n)!;
      expect(byName(n)).toBe(oTypeString(tree, oRef(o, "DW_AT_type")));
    }
    expect(byName("eb")).toBe("u64");
    expect(byName("en")).toBe("i32");
  });

  it("a self-referential struct converts to a cyclic graph (same object behind next)", () => {
    const node = pointee(fn, "n");
    const next = node.fields.find((f) => f.name === "next")!.type;
    expect(next.kind === "ptr" && next.to).toBe(node);
    const ind = node.fields.find((f) => f.name === "indirect")!.type;
    expect(ind.kind === "ptr" && ind.to.kind === "ptr" && ind.to.to).toBe(node);
    // const volatile typedef'd pointer: the same struct object.
    expect(pointee(fn, "cn")).toBe(node);
  });

  it("bit-fields are left out; anonymous members are flattened; packed structs have alignment 1", () => {
    const wb = pointee(fn, "wb");
    expect(wb.fields.map((f) => f.name)).toEqual(["after", "tail"]);
    const wa = pointee(fn, "wa");
    expect(wa.fields.map((f) => f.name)).toEqual(["kind", "as_long", "as_bytes", "x", "y", "last"]);
    const p = pointee(fn, "p");
    expect([p.size, p.align]).toEqual([13, 1]);
    expect(pointee(fn, "n").align).toBe(8);
  });

  it("arrays: nested dimensions, char arrays as strings, flexible arrays of length 0", () => {
    const ar = pointee(fn, "ar");
    const f = (n: string): CType => ar.fields.find((x) => x.name === n)!.type;
    expect(typeToString(f("grid"))).toBe("FixedArray<FixedArray<i32, 3>, 2>");
    expect(typeToString(f("name"))).toBe("Chars<16>");
    expect(typeToString(f("nodes"))).toBe("FixedArray<node, 2>");
    expect(typeToString(f("fnptr"))).toBe("Ptr<void>");
    expect(typeToString(f("opaque"))).toBe("Ptr<void>");
    expect(typeToString(f("flag"))).toBe("bool");
    expect(typeToString(pointee(fn, "fl").fields[1]!.type)).toBe("Chars<0>");
  });

  it("keeps the C spelling of declared types", () => {
    expect(fn.params.find((p) => p.name === "n")!.cType).toBe("struct node *");
    expect(fn.params.find((p) => p.name === "cn")!.cType).toBe("node_ptr_t");
    expect(fn.params.find((p) => p.name === "es")!.cType).toBe("enum small");
  });
});

describe("a struct only declared in the probed function's unit", () => {
  it("takes its members from the unit that defines it", () => {
    const other = join(FIXTURES, "dwarf-other.c");
    const bin = build("gcc", ["-g", "-O0"], undefined, [other]);
    const tree = dwarfdumpTree(bin);
    const take = oFunction(tree, "take_hidden")!;
    const declared = oPointee(tree, take.children.find((c) => c.tag === "DW_TAG_formal_parameter")!);
    expect(declared.attrs.get("DW_AT_declaration")).toBe("true");
    const def = oPointee(tree, oFunction(tree, "peek_hidden")!.children.find((c) => c.tag === "DW_TAG_formal_parameter")!);
    const info = readDebugInfo(readFileSync(bin), x86_64)!;
    const st = pointee(findFunction(info, "take_hidden")!, "h");
    expect(st.size).toBe(oNum(def, "DW_AT_byte_size"));
    expect(st.fields.map((f) => ({ name: f.name, offset: f.offset, type: typeToString(f.type) }))).toEqual(oFields(tree, def));
    expect(st).toBe(pointee(findFunction(info, "peek_hidden")!, "h"));
  });
});
