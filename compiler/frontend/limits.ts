// Limits on the size and shape of a probe file: a file of several megabytes, or code
// nested hundreds of levels deep (long else-if chains, operator chains, parentheses),
// would exhaust the compilers' time or stack. Such input gets a located diagnostic
// instead of a crash: checked before type-checking, and, should a stack still run out
// (TypeScript's checker recurses deeper on some nestings than others), reported at the
// most deeply nested code, or, where nothing is nested deep, at the longest function
// (the checker also recurses along a function's branches: 1,500 `if`s in a row).
// In: the file's text and its parsed ts.SourceFile (and what else wants to see each of its
// nodes, in the one walk of them all before type-checking). Out: a diagnostic, or undefined.

import ts from "typescript";
import { makeDiagnostic, type Diagnostic } from "../diagnostics.js";

/** Bytes of source bpftsc compiles: far beyond any tool's probe (BPF programs stop at a
 *  million instructions anyway). */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** Syntax-tree depth bpftsc compiles: real probes nest a few dozen levels. */
export const MAX_NESTING = 1000;

export function checkLimits(path: string, text: string, sf: ts.SourceFile, onNode?: (node: ts.Node) => void): Diagnostic | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SOURCE_BYTES) return makeDiagnostic("tooLarge", { file: path, line: 0, col: 0 }, String(bytes), String(MAX_SOURCE_BYTES));
  const deepest = deepestNode(sf, onNode);
  return deepest.depth > MAX_NESTING ? tooDeep(path, sf.text, deepest.node.getStart(sf), deepest.depth) : undefined;
}

/** Whether an exception is a JavaScript stack running out. */
export function isStackExhausted(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** A stack that ran out while compiling `text`: reported at its most deeply nested code. */
export function stackExhausted(path: string, text: string): Diagnostic {
  let sf: ts.SourceFile | undefined;
  try {
    sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  } catch (e) {
    if (!isStackExhausted(e)) throw e;
  }
  const at = sf ? deepestNode(sf) : undefined;
  if (sf && at && at.depth < SHALLOW) {
    const f = longestFunction(sf);
    if (f) return located("tooLong", path, text, f.node.getStart(sf), String(f.statements));
  }
  return at ? tooDeep(path, text, at.node.getStart(sf), at.depth) : tooDeep(path, text, deepestBracket(text).pos, deepestBracket(text).depth);
}

/** Below this depth, a stack that ran out was run out by a function's length (TypeScript
 *  follows its control flow back statement by statement, recursing at each branch). */
const SHALLOW = 100;

/** The function whose body has the most statements. */
function longestFunction(sf: ts.SourceFile): { node: ts.Node; statements: number } | undefined {
  let best: { node: ts.Node; statements: number } | undefined;
  const stack: ts.Node[] = [sf];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const body = ts.isFunctionLike(node) ? (node as ts.FunctionLikeDeclaration).body : undefined;
    if (body && ts.isBlock(body) && (!best || body.statements.length > best.statements)) best = { node, statements: body.statements.length };
    ts.forEachChild(node, (c) => { stack.push(c); });
  }
  return best;
}

function tooDeep(path: string, text: string, pos: number, depth: number): Diagnostic {
  return located("tooDeep", path, text, pos, String(depth));
}

function located(what: "tooDeep" | "tooLong", path: string, text: string, pos: number, arg: string): Diagnostic {
  const before = text.slice(0, pos).split(/\r?\n/);
  const line = before.length;
  return makeDiagnostic(what, { file: path, line, col: before[line - 1]!.length + 1, sourceLine: text.split(/\r?\n/)[line - 1] }, arg);
}

/** The most deeply nested node, found iteratively (the search cannot run out of stack);
 *  the first of the deepest in the order a stack of nodes pops them. onNode sees every
 *  node, in that order. */
function deepestNode(sf: ts.SourceFile, onNode?: (node: ts.Node) => void): { node: ts.Node; depth: number } {
  let best: ts.Node = sf, bestDepth = 0;
  // Nodes and their depths in two stacks, pushed by one callback: a walk of every node of
  // the file before it is type-checked, which makes nothing per node but the entries.
  const nodes: ts.Node[] = [sf], depths: number[] = [0];
  let childDepth = 0;
  const push = (c: ts.Node): void => { nodes.push(c); depths.push(childDepth); };
  while (nodes.length > 0) {
    const node = nodes.pop()!, depth = depths.pop()!;
    onNode?.(node);
    if (depth > bestDepth) { best = node; bestDepth = depth; }
    childDepth = depth + 1;
    ts.forEachChild(node, push);
  }
  return { node: best, depth: bestDepth };
}

/** Where brackets nest deepest in the text (when even parsing ran out of stack). */
function deepestBracket(text: string): { pos: number; depth: number } {
  let depth = 0, best = 0, at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") {
      if (++depth > best) { best = depth; at = i; }
    } else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return { pos: at, depth: best };
}
