// What every part of the frontend shares while compiling one probe file: the checker,
// source positions for diagnostics, how to tell bpftsc's own declarations apart, the
// probed architecture, and the kernel's and user binaries' debug information.
// In: a CheckedSource and the Target. Out: position and error helpers used by the
// lowering modules.

import ts from "typescript";
import { CompileError, makeDiagnostic, type DiagKind, type Diagnostic } from "../diagnostics.js";
import type { Target } from "../target/index.js";
import { KernelTypes } from "./kernel.js";
import { UserDebug } from "./user-debug.js";
import { valueScope } from "./value-scope.js";

export class FrontendContext {
  readonly lines: string[];
  readonly warnings: Diagnostic[] = [];
  /** The kernel's types (BTF), loaded on first use. */
  readonly kernel: KernelTypes;
  /** User binaries' DWARF, read on first use. */
  readonly user: UserDebug;
  /** The files besides the probe file whose contents the compile's result depends on
   *  (absolute paths), as they are read. */
  readonly inputs = new Set<string>();
  /** Names read as values, resolved, per scope (value-scope.ts). */
  private readonly resolvedNames = new Map<ts.Node, Map<string, ts.Symbol | undefined>>();
  /** Per symbol, its name if the runtime types declare it, else "". */
  private readonly runtimeNames = new Map<ts.Symbol, string>();

  constructor(
    readonly file: string,
    readonly sf: ts.SourceFile,
    readonly checker: ts.TypeChecker,
    readonly runtimeFile: string,
    /** The probed architecture: pt_regs layout, calling convention, DWARF registers. */
    readonly target: Target,
    btfPath?: string,
  ) {
    this.lines = sf.text.split(/\r?\n/);
    this.kernel = new KernelTypes(this, btfPath);
    this.user = new UserDebug(this);
  }

  /** 1-based line and column of a node's first token. */
  pos(node: ts.Node): { line: number; col: number } {
    const { line, character } = this.sf.getLineAndCharacterOfPosition(node.getStart(this.sf));
    return { line: line + 1, col: character + 1 };
  }

  at(node: ts.Node) {
    const { line, col } = this.pos(node);
    return { file: this.file, line, col, sourceLine: this.lines[line - 1] };
  }

  diag(kind: DiagKind, node: ts.Node, ...args: string[]): Diagnostic {
    return makeDiagnostic(kind, this.at(node), ...args);
  }

  /** Abandons the construct at hand with a diagnostic. */
  fail(kind: DiagKind, node: ts.Node, ...args: string[]): never {
    throw new CompileError(this.diag(kind, node, ...args));
  }

  /** The same, at a line and column of the probe file (from an IR instruction's Loc). */
  failAt(kind: DiagKind, loc: { line: number; col: number }, ...args: string[]): never {
    const at = { file: this.file, line: loc.line, col: loc.col, sourceLine: this.lines[loc.line - 1] };
    throw new CompileError(makeDiagnostic(kind, at, ...args));
  }

  warn(kind: DiagKind, node: ts.Node, ...args: string[]): void {
    this.warnings.push({ ...this.diag(kind, node, ...args), severity: "warning" });
  }

  /** The symbol a name refers to, with imports followed to their declaration. */
  symbolOf(node: ts.Node): ts.Symbol | undefined {
    const scope = ts.isIdentifier(node) ? valueScope(node) : undefined;
    if (!scope) return this.resolveSymbol(node);
    let names = this.resolvedNames.get(scope);
    if (!names) this.resolvedNames.set(scope, (names = new Map()));
    const name = (node as ts.Identifier).text;
    if (names.has(name)) return names.get(name);
    const s = this.resolveSymbol(node);
    names.set(name, s);
    return s;
  }

  private resolveSymbol(node: ts.Node): ts.Symbol | undefined {
    // In `{ pid }` the name is the property; the value is the variable it names.
    let s = ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
      ? this.checker.getShorthandAssignmentValueSymbol(node.parent)
      : this.checker.getSymbolAtLocation(node);
    if (s && s.flags & ts.SymbolFlags.Alias) s = this.checker.getAliasedSymbol(s);
    return s;
  }

  /** If `node` names something declared by the bpftsc runtime types, its name. */
  runtimeName(node: ts.Node): string | undefined {
    const s = this.symbolOf(node);
    if (!s) return undefined;
    let name = this.runtimeNames.get(s);
    if (name === undefined) {
      const decl = s.declarations?.[0];
      name = decl && decl.getSourceFile().fileName === this.runtimeFile ? s.name : "";
      this.runtimeNames.set(s, name);
    }
    return name || undefined;
  }
}
