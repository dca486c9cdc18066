// Top-level variables that live in the object's data sections: `export const NAME: T =
// value` is a load-time setting (.rodata, libbpf's `const volatile`: user space sets it
// before load, programs read it, the compiler never folds it); `let NAME: T = value` is
// a global (.data, or .bss when its value is all zeroes), read and written by every
// program and by user space.
// In: a top-level variable declaration. Out: a GlobalInfo with its C type and initial
// bytes, computed here from the constant initializer (integers, bool, structs from
// object literals, FixedArrays from array literals, Chars from string literals).

import ts from "typescript";
import type { DataSectionName } from "../object/model.js";
import { sizeOf, typeToString, type CType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";
import { constantValue, skipParens, stringValue, type ModuleInfo } from "./module.js";
import { literalFor } from "./literals.js";
import type { TypeResolver } from "./types.js";
import { truncate } from "./values.js";

export interface GlobalInfo {
  name: string;
  section: DataSectionName;
  type: CType;
  init: Uint8Array;
  node: ts.VariableDeclaration;
}

export function readGlobal(ctx: FrontendContext, types: TypeResolver, mod: ModuleInfo, decl: ts.VariableDeclaration, section: ".rodata" | ".data"): GlobalInfo {
  const name = (decl.name as ts.Identifier).text;
  const what = section === ".rodata" ? "A load-time setting" : "A global";
  if (!decl.type) return ctx.fail("globalNeedsType", decl.name, what, name);
  const type = types.resolve(decl.type);
  if (type.kind === "void" || type.kind === "ptr") ctx.fail("unsupportedType", decl.type, typeToString(type), ` for ${what.toLowerCase()} (integers, bool, structs and FixedArrays)`);
  if (section === ".rodata" && !decl.initializer) ctx.fail("globalNeedsType", decl.name, what, name);
  const init = new Uint8Array(sizeOf(type));
  if (decl.initializer) encodeInto(ctx, types, mod, type, decl.initializer, init, 0);
  const zero = init.every((b) => b === 0);
  return { name, section: section === ".data" && zero ? ".bss" : section, type, init, node: decl };
}

/** Writes the constant value of `e`, as type t, into `out` at `off` (little-endian). */
function encodeInto(ctx: FrontendContext, types: TypeResolver, mod: ModuleInfo, t: CType, e: ts.Expression, out: Uint8Array, off: number): void {
  e = skipParens(e);
  const bad = (): never => ctx.fail("nonConstantInit", e, typeToString(t));
  switch (t.kind) {
    case "int": {
      const v = e.kind === ts.SyntaxKind.TrueKeyword ? 1n : e.kind === ts.SyntaxKind.FalseKeyword ? 0n : constantValue(ctx, mod, e);
      if (v === undefined) return bad();
      let u = BigInt.asUintN(64, truncate(v, t));
      for (let i = 0; i < t.size; i++, u >>= 8n) out[off + i] = Number(u & 0xffn);
      return;
    }
    case "struct": {
      const lit = literalFor(types, e, t, ts.isObjectLiteralExpression);
      if (!lit) return bad();
      for (const p of lit.properties) {
        const field = ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? t.fields.find((f) => f.name === (p.name as ts.Identifier).text) : undefined;
        if (!field || !ts.isPropertyAssignment(p)) return ctx.fail("unknownName", p, p.name?.getText(ctx.sf) ?? "this member");
        encodeInto(ctx, types, mod, field.type, p.initializer, out, off + field.offset);
      }
      return;
    }
    case "array": {
      const text = t.isString ? stringValue(ctx, mod, e) : undefined;
      if (text !== undefined) {
        const bytes = new TextEncoder().encode(text);
        if (bytes.length > t.length) ctx.fail("nonConstantInit", e, `${typeToString(t)} (the string has ${bytes.length} bytes)`);
        out.set(bytes, off);
        return;
      }
      const lit = literalFor(types, e, t, ts.isArrayLiteralExpression);
      if (!lit || lit.elements.length > t.length) return bad();
      const size = sizeOf(t.elem);
      lit.elements.forEach((x, i) => encodeInto(ctx, types, mod, t.elem, x, out, off + i * size));
      return;
    }
    default:
      return bad();
  }
}
