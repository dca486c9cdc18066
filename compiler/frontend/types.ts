// Resolves TypeScript type annotations to C types.
// In: a ts.TypeNode from a probe file. Out: a CType (integers, bool, Ptr<T>, Chars<N>,
// FixedArray<T,N>, structs laid out from interfaces and type literals, unions from
// Union<T>, bitfield members from Bits<T, N>, a kernel enum as its integer type) or a
// diagnostic.

import ts from "typescript";
import {
  INT_TYPES, BOOL, bitsOf, layoutStruct, layoutUnion, typeToString,
  type CType, type IntType, type MemberSpec, type StructType,
} from "../types/ctype.js";
import type { FrontendContext } from "./context.js";
import { kernelEnumType } from "./kernel-enums.js";

export class TypeResolver {
  private readonly structs = new Map<ts.Node, StructType>();

  constructor(private readonly ctx: FrontendContext) {}

  resolve(node: ts.TypeNode): CType {
    const ctx = this.ctx;
    if (node.kind === ts.SyntaxKind.BooleanKeyword) return BOOL;
    if (node.kind === ts.SyntaxKind.NumberKeyword) ctx.fail("unsupportedType", node, "number", ": say how wide it is with u8..u64 or i8..i64");
    if (ts.isParenthesizedTypeNode(node)) return this.resolve(node.type);
    if (ts.isTypeLiteralNode(node)) return this.composite(node, "", node.members, false);
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
      if (name === "Union" && args.length === 1) return this.union(node, "");
      if (name === "Bits") ctx.fail("bitfieldPlace", node, "the type of a variable, a map key or value, an array element or a pointee");
      ctx.fail("unsupportedType", node, node.getText(ctx.sf), "");
    }
    const sym = ctx.symbolOf(node.typeName);
    const decl = sym?.declarations?.[0];
    // `E` or `E.NAME` of a kernel enum: the enum's integer type.
    const enumDecl = decl && ts.isEnumMember(decl) ? decl.parent : decl;
    if (enumDecl && ts.isEnumDeclaration(enumDecl)) return kernelEnumType(ctx, enumDecl, node).int;
    const kernelName = decl && kernelTag(decl);
    if (kernelName?.includes("___") && decl && ts.isInterfaceDeclaration(decl)) return ctx.kernel.flavour(kernelName, this.composite(decl, decl.name.text, decl.members, false), node);
    if (kernelName) return ctx.kernel.struct(kernelName, node);
    if (decl && ts.isInterfaceDeclaration(decl)) {
      if (decl.typeParameters?.length || decl.heritageClauses?.length) ctx.fail("unsupportedType", node, node.getText(ctx.sf), ": struct interfaces cannot be generic or extend others");
      return this.composite(decl, decl.name.text, decl.members, false);
    }
    if (decl && ts.isTypeAliasDeclaration(decl) && !decl.typeParameters) {
      if (ts.isTypeLiteralNode(decl.type)) return this.composite(decl, decl.name.text, decl.type.members, false);
      // `type Val = Union<{...}>` is `union Val`.
      if (ts.isTypeReferenceNode(decl.type) && ctx.runtimeName(decl.type.typeName) === "Union") return this.union(decl.type, decl.name.text);
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

  /** The union of `Union<T>`, T a type literal or an interface (or an alias of a type
   *  literal) whose members are the union's. */
  private union(ref: ts.TypeReferenceNode, name: string): StructType {
    const arg = ref.typeArguments![0];
    const members = this.membersOf(arg) ?? this.ctx.fail("unionMembers", arg, arg.getText(this.ctx.sf));
    return this.composite(ref, name, members, true);
  }

  private membersOf(node: ts.TypeNode): ts.NodeArray<ts.TypeElement> | undefined {
    if (ts.isTypeLiteralNode(node)) return node.members;
    if (!ts.isTypeReferenceNode(node) || this.ctx.runtimeName(node.typeName) !== undefined) return undefined;
    const decl = this.ctx.symbolOf(node.typeName)?.declarations?.[0];
    if (!decl || kernelTag(decl) || (decl as ts.InterfaceDeclaration | ts.TypeAliasDeclaration).typeParameters) return undefined;
    if (ts.isInterfaceDeclaration(decl) && !decl.heritageClauses) return decl.members;
    if (ts.isTypeAliasDeclaration(decl) && ts.isTypeLiteralNode(decl.type)) return decl.type.members;
    return undefined;
  }

  /** A member's `Bits<T, N>`: T an integer type, N a literal from 1 to T's bits. */
  private bitfield(node: ts.TypeNode): { type: IntType; width: number } | undefined {
    if (!ts.isTypeReferenceNode(node) || this.ctx.runtimeName(node.typeName) !== "Bits" || node.typeArguments?.length !== 2) return undefined;
    const [typeArg, widthArg] = node.typeArguments;
    const type = this.resolve(typeArg);
    if (type.kind !== "int") return this.ctx.fail("bitfieldType", typeArg, typeToString(type));
    const text = widthArg.getText(this.ctx.sf);
    const width = ts.isLiteralTypeNode(widthArg) && ts.isNumericLiteral(widthArg.literal) ? Number(text) : NaN;
    if (!Number.isInteger(width) || width < 1 || width > bitsOf(type)) this.ctx.fail("bitfieldWidth", widthArg, type.name, String(bitsOf(type)), text);
    return { type, width };
  }

  private composite(key: ts.Node, name: string, members: ts.NodeArray<ts.TypeElement>, union: boolean): StructType {
    const cached = this.structs.get(key);
    if (cached) {
      if (this.inProgress.has(cached) && !this.behindPointer) {
        this.ctx.fail("unsupportedType", key, name || key.getText(this.ctx.sf), ": a struct cannot contain itself except through a Ptr");
      }
      return cached;
    }
    // Registered before its fields resolve, so Ptr<Self> fields can refer to it.
    const st: StructType = { kind: "struct", name, fields: [], size: 0, align: 1 };
    this.structs.set(key, st);
    this.inProgress.add(st);
    const fields: MemberSpec[] = [];
    const savedBehind = this.behindPointer;
    this.behindPointer = false;
    for (const m of members) {
      if (!ts.isPropertySignature(m) || !m.type || !ts.isIdentifier(m.name) || m.questionToken) {
        this.ctx.fail("unsupportedType", m, m.getText(this.ctx.sf), ": struct members are named fields with a type, not optional");
      }
      const bits = this.bitfield(m.type);
      fields.push(bits ? { name: m.name.text, type: bits.type, width: bits.width } : { name: m.name.text, type: this.resolve(m.type) });
    }
    this.behindPointer = savedBehind;
    Object.assign(st, union ? layoutUnion(name, fields) : layoutStruct(name, fields));
    this.inProgress.delete(st);
    return st;
  }

  private readonly inProgress = new Set<StructType>();
  private behindPointer = false;
}

/** `@kernel <name>` in a declaration's JSDoc (as `bpftsc types` writes): the kernel type
 *  it declares (or, with a flavour's `___`, the kernel type it stands for). A bare
 *  `@kernel` names the declaration itself. Undefined for a declaration without the tag. */
export function kernelTag(decl: ts.Declaration): string | undefined {
  const tag = ts.getJSDocTags(decl).find((t) => t.tagName.text === "kernel");
  if (!tag) return undefined;
  const text = typeof tag.comment === "string" ? tag.comment.trim() : "";
  const own = ts.getNameOfDeclaration(decl);
  return text || (own && ts.isIdentifier(own) ? own.text : undefined);
}
