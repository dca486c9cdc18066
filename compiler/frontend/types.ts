// Resolves TypeScript type annotations to C types.
// In: a ts.TypeNode from a probe file. Out: a CType (integers, bool, Ptr<T>, Chars<N>,
// FixedArray<T,N>, structs laid out from interfaces and type literals) or a diagnostic.

import ts from "typescript";
import { INT_TYPES, BOOL, layoutStruct, type CType, type StructType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";

export class TypeResolver {
  private readonly structs = new Map<ts.Node, StructType>();

  constructor(private readonly ctx: FrontendContext) {}

  resolve(node: ts.TypeNode): CType {
    const ctx = this.ctx;
    if (node.kind === ts.SyntaxKind.BooleanKeyword) return BOOL;
    if (node.kind === ts.SyntaxKind.NumberKeyword) ctx.fail("unsupportedType", node, "number", ": say how wide it is with u8..u64 or i8..i64");
    if (ts.isParenthesizedTypeNode(node)) return this.resolve(node.type);
    if (ts.isTypeLiteralNode(node)) return this.struct(node, "anon", node.members);
    if (!ts.isTypeReferenceNode(node)) return ctx.fail("unsupportedType", node, node.getText(ctx.sf), "");

    const name = ctx.runtimeName(node.typeName);
    const args = node.typeArguments ?? [];
    if (name !== undefined) {
      if (name in INT_TYPES) return INT_TYPES[name];
      if (name === "Ptr" && args.length === 1) return { kind: "ptr", to: this.resolvePointee(args[0]), space: "kernel" };
      if (name === "UserPtr" && args.length === 1) return { kind: "ptr", to: this.resolvePointee(args[0]), space: "user", explicit: true };
      if (name === "KernelPtr" && args.length === 1) return { kind: "ptr", to: this.resolvePointee(args[0]), space: "kernel", explicit: true };
      if (name === "Chars" && args.length === 1) return { kind: "array", elem: INT_TYPES.u8, length: this.literalNumber(args[0]), isString: true };
      if (name === "FixedArray" && args.length === 2) return { kind: "array", elem: this.resolve(args[0]), length: this.literalNumber(args[1]) };
      ctx.fail("unsupportedType", node, node.getText(ctx.sf), "");
    }
    const sym = ctx.symbolOf(node.typeName);
    const decl = sym?.declarations?.[0];
    const kernelName = decl && kernelTag(decl);
    if (kernelName) return ctx.kernel.struct(kernelName, node);
    if (decl && ts.isInterfaceDeclaration(decl)) {
      if (decl.typeParameters?.length || decl.heritageClauses?.length) ctx.fail("unsupportedType", node, node.getText(ctx.sf), ": struct interfaces cannot be generic or extend others");
      return this.struct(decl, decl.name.text, decl.members);
    }
    if (decl && ts.isTypeAliasDeclaration(decl) && !decl.typeParameters) {
      if (ts.isTypeLiteralNode(decl.type)) return this.struct(decl, decl.name.text, decl.type.members);
      return this.resolve(decl.type);
    }
    return ctx.fail("unsupportedType", node, node.getText(ctx.sf), "");
  }

  /** Pointee of Ptr<T>: also `unknown`/`void` (an opaque pointer). */
  private resolvePointee(node: ts.TypeNode): CType {
    if (node.kind === ts.SyntaxKind.UnknownKeyword || node.kind === ts.SyntaxKind.VoidKeyword) return { kind: "void" };
    const saved = this.behindPointer;
    this.behindPointer = true;
    try {
      return this.resolve(node);
    } finally {
      this.behindPointer = saved;
    }
  }

  private literalNumber(node: ts.TypeNode): number {
    if (ts.isLiteralTypeNode(node) && ts.isNumericLiteral(node.literal)) {
      const n = Number(node.literal.text);
      if (Number.isInteger(n) && n > 0 && n <= 4096) return n;
    }
    return this.ctx.fail("unsupportedType", node, node.getText(this.ctx.sf), ": an array length must be an integer literal from 1 to 4096");
  }

  private struct(key: ts.Node, name: string, members: ts.NodeArray<ts.TypeElement>): StructType {
    const cached = this.structs.get(key);
    if (cached) {
      if (this.inProgress.has(cached) && !this.behindPointer) {
        this.ctx.fail("unsupportedType", key, name, ": a struct cannot contain itself except through a Ptr");
      }
      return cached;
    }
    // Registered before its fields resolve, so Ptr<Self> fields can refer to it.
    const st: StructType = { kind: "struct", name, fields: [], size: 0, align: 1 };
    this.structs.set(key, st);
    this.inProgress.add(st);
    const fields: { name: string; type: CType }[] = [];
    const savedBehind = this.behindPointer;
    this.behindPointer = false;
    for (const m of members) {
      if (!ts.isPropertySignature(m) || !m.type || !ts.isIdentifier(m.name) || m.questionToken) {
        this.ctx.fail("unsupportedType", m, m.getText(this.ctx.sf), ": struct members are named fields with a type, not optional");
      }
      fields.push({ name: m.name.text, type: this.resolve(m.type) });
    }
    this.behindPointer = savedBehind;
    Object.assign(st, layoutStruct(name, fields));
    this.inProgress.delete(st);
    return st;
  }

  private readonly inProgress = new Set<StructType>();
  private behindPointer = false;
}

/** `@kernel <name>` in a declaration's JSDoc (as `bpftsc types` writes): a kernel struct. */
function kernelTag(decl: ts.Declaration): string | undefined {
  const tag = ts.getJSDocTags(decl).find((t) => t.tagName.text === "kernel");
  const text = typeof tag?.comment === "string" ? tag.comment.trim() : undefined;
  return text || undefined;
}
