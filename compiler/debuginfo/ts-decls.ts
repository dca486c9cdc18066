// TypeScript declarations of kernel structs and enums, for editors and `tsc --noEmit`.
// In: a KernelBtf and struct/union/typedef/enum names. Out: the text of a .d.ts module that
// imports the integer aliases, Ptr, FixedArray and Chars from "bpftsc" and declares one
// `export interface` per struct: the named ones, the structs they embed, and the structs
// they point to up to `depth` pointer hops away. Structs referenced beyond that are
// declared empty (`export interface inode {}`), so every name resolves.
// Fields are structMembers' (kernel-btf.ts): anonymous members' members in place; bitfields and
// members of unrepresentable types are left out with a comment. Anonymous struct/union
// types of named members are written inline as type literals (a union's in Union<...>).
// A member whose type is a named enum is typed by it, and each such enum, and each enum
// named itself, is an `export declare enum` with this kernel's values (a plain enum, not
// a const one: TypeScript refuses ambient const enums under isolatedModules).

import type { CType, StructType } from "../types/ctype.js";
import {
  compositeName, enumById, lookupEnumId, lookupStructId, namedEnumId, structMembers, structTypeId, toCType,
  type KernelBtf, type KernelMember,
} from "./kernel-btf.js";

export interface TsDeclOptions {
  /** Pointer hops followed from the named types (default 2). */
  depth?: number;
  /** First comment line (default: where the types come from). */
  header?: string;
}

export interface TsDeclResult {
  text: string;
  /** Requested names with no struct, union or typedef of one in the BTF. */
  unknown: string[];
  /** Interfaces declared with their fields, in output order. */
  expanded: string[];
  /** Interfaces declared empty (beyond the depth limit, or forward-declared only). */
  opaque: string[];
  /** Enums declared, in output order. */
  enums: string[];
}

const IMPORTABLE = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool", "Ptr", "FixedArray", "Chars", "Union"];

/** Names an interface cannot have, or that would shadow what the declarations use. */
const RESERVED = new Set([
  // reserved words (including strict mode's)
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
  "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import",
  "in", "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true",
  "try", "typeof", "var", "void", "while", "with", "implements", "interface", "let", "package",
  "private", "protected", "public", "static", "yield", "await",
  // predefined type names
  "any", "unknown", "never", "object", "string", "number", "boolean", "symbol", "bigint",
  "undefined", "intrinsic",
  // what the declarations import
  ...IMPORTABLE,
]);

const INDENT = "  ";

/** Builds the declarations for `roots` (struct, union, typedef or enum names). */
export function kernelTypesToTs(btf: KernelBtf, roots: string[], opts: TsDeclOptions = {}): TsDeclResult {
  const maxDepth = opts.depth ?? 2;
  const t = btf.table;
  const unknown: string[] = [];

  // Interface names: one per BTF id, unique in the module.
  const names = new Map<number, string>();
  const taken = new Set<string>();
  const nameOf = (id: number): string => {
    let n = names.get(id);
    if (n !== undefined) return n;
    let base = compositeName(btf, id);
    const k = t.kindOf(id);
    const lookup = k === "enum" || k === "enum64" ? lookupEnumId : lookupStructId;
    // A second type with the same name as the one lookups find: keep both, distinctly.
    if (k !== "fwd" && t.nameOf(id) !== "" && lookup(btf, base) !== id) base = `${base}__${id}`;
    if (RESERVED.has(base)) base += "_";
    n = base;
    while (taken.has(n)) n += "_";
    taken.add(n);
    names.set(id, n);
    return n;
  };

  // Which structs get fields: breadth first by pointer hops; embedding costs no hop.
  const depthOf = new Map<number, number>();
  const levels: number[][] = [[]];
  const done = new Set<number>();
  const referenced = new Set<number>();
  const schedule = (id: number, d: number): void => {
    referenced.add(id);
    if (d > maxDepth || done.has(id)) return;
    const old = depthOf.get(id);
    if (old !== undefined && old <= d) return;
    depthOf.set(id, d);
    (levels[d] ??= []).push(id);
  };

  // Enums to declare, in the order they are first named or used.
  const enums = new Set<number>();
  const useEnum = (id: number): string => {
    enums.add(id);
    return nameOf(id);
  };

  for (const r of roots) {
    const id = lookupStructId(btf, r);
    const e = id === undefined ? lookupEnumId(btf, r) : undefined;
    if (id !== undefined) {
      nameOf(id);
      schedule(id, 0);
    } else if (e !== undefined && enumById(btf, e)) useEnum(e);
    else unknown.push(r);
  }

  const used = new Set<string>();
  const decls: string[] = [];
  const expanded: string[] = [];

  /** Renders a field type; `d` is the depth of the struct holding the field. */
  const render = (c: CType, d: number, indent: string): string => {
    switch (c.kind) {
      case "void": return "unknown";
      case "int": used.add(c.name); return c.name;
      case "ptr": {
        used.add("Ptr");
        const to = c.to;
        return `Ptr<${to.kind === "void" ? "unknown" : render(to, d + 1, indent)}>`;
      }
      case "array":
        if (c.isString) { used.add("Chars"); return `Chars<${c.length}>`; }
        used.add("FixedArray");
        return `FixedArray<${render(c.elem, d, indent)}, ${c.length}>`;
      case "struct": {
        const id = structTypeId(btf, c);
        if (id === undefined) return "unknown";
        if (isAnonymous(btf, id)) {
          const literal = `{\n${body(id, d, indent + INDENT)}${indent}}`;
          if (!c.union) return literal;
          used.add("Union");
          return `Union<${literal}>`;
        }
        schedule(id, d);
        return nameOf(id);
      }
    }
  };

  const body = (id: number, d: number, indent: string): string => {
    let out = "";
    const seen = new Set<string>();
    for (const m of structMembers(btf, id)) {
      if (!m.type || seen.has(m.name)) {
        out += `${indent}// ${m.name}: ${omittedNote(m, seen.has(m.name))}\n`;
        continue;
      }
      seen.add(m.name);
      const e = m.type.kind === "int" ? namedEnumId(btf, m.typeId) : undefined;
      out += `${indent}${m.name}: ${e !== undefined ? useEnum(e) : render(m.type, d, indent)};\n`;
    }
    return out;
  };

  for (let d = 0; d < levels.length; d++) {
    for (let i = 0; i < (levels[d]?.length ?? 0); i++) {
      const id = levels[d][i];
      if (done.has(id) || depthOf.get(id) !== d) continue;
      done.add(id);
      const st = toCType(btf, id) as StructType;
      const kind = t.kindOf(id);
      const what = kind === "fwd" ? "declared only, no definition in BTF" : `${st.size} bytes`;
      const fields = kind === "fwd" ? "" : body(id, d, INDENT);
      // @kernel tells the compiler to lay the struct out from BTF and read it with CO-RE.
      decls.push(`/** ${kind === "union" ? "union" : "struct"} ${compositeName(btf, id)}: ${what}\n * @kernel ${compositeName(btf, id)} */\n` +
        `export interface ${nameOf(id)} {${fields ? "\n" + fields : ""}}\n`);
      expanded.push(nameOf(id));
    }
  }

  const opaque: string[] = [];
  const opaqueDecls: string[] = [];
  for (const id of referenced) {
    if (done.has(id)) continue;
    opaque.push(nameOf(id));
    opaqueDecls.push(`/** @kernel ${compositeName(btf, id)} */\nexport interface ${nameOf(id)} {}\n`);
  }

  const header = opts.header ?? `Kernel types from ${btf.path}, generated by \`bpftsc types\`.`;
  const imports = IMPORTABLE.filter((n) => used.has(n));
  let text = `// ${header}\n// Layouts are this kernel's; probes read them through CO-RE relocations.\n`;
  if (enums.size) text += "// Enum values are this kernel's too; enumValue(E.NAME) is the loading kernel's.\n";
  text += "\n";
  text += imports.length ? `import type { ${imports.join(", ")} } from "bpftsc";\n\n` : `export {};\n\n`;
  text += [...decls, ...[...enums].map((id) => enumDecl(btf, id, nameOf(id)))].join("\n");
  if (opaqueDecls.length) {
    text += `\n// Referenced beyond --depth ${maxDepth} (or declared only): no fields.\n` + opaqueDecls.join("");
  }
  return { text, unknown, expanded, opaque, enums: [...enums].map(nameOf) };
}

/** `export declare enum`, tagged with the kernel's name for the compiler. A value beyond
 *  2^53 is written exactly, though TypeScript's number rounds it (the compiler takes the
 *  value from BTF, never from the declaration). */
function enumDecl(btf: KernelBtf, id: number, name: string): string {
  const e = enumById(btf, id)!;
  const members = e.values.map((v) => {
    const inexact = v.value > BigInt(Number.MAX_SAFE_INTEGER) || v.value < BigInt(Number.MIN_SAFE_INTEGER);
    return `${INDENT}${v.name} = ${v.value},${inexact ? " // beyond 2^53: TypeScript rounds it" : ""}\n`;
  });
  return `/** enum ${e.name}: ${e.int.size} bytes, ${e.int.signed ? "signed" : "unsigned"}\n * @kernel ${e.name} */\n` +
    `export declare enum ${name} {${members.length ? "\n" + members.join("") : ""}}\n`;
}

function isAnonymous(btf: KernelBtf, id: number): boolean {
  return btf.table.nameOf(id) === "" && compositeName(btf, id).startsWith("__anon_");
}

function omittedNote(m: KernelMember, duplicate: boolean): string {
  if (duplicate) return "omitted, duplicate name";
  if (m.omitted === "bitfield") return `omitted, bitfield of ${m.bitfieldSize || "?"} bits at bit ${m.bitOffset}`;
  return `omitted, ${m.omitted}`;
}
