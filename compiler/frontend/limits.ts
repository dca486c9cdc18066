// Limits on the size and shape of a probe file: a file of several megabytes, or code
// nested hundreds of levels deep (long else-if chains, operator chains, parentheses),
// would exhaust the compilers' time or stack. Such input gets a located diagnostic
// instead of a crash: checked before type-checking, and, should a stack still run out
// (TypeScript's checker recurses deeper on some nestings than others), reported at the
// most deeply nested code.
// In: the file's text and its parsed ts.SourceFile. Out: a diagnostic, or undefined.

import ts from "typescript";
import { makeDiagnostic, type Diagnostic } from "../diagnostics.js";

/** Bytes of source bpftsc compiles: far beyond any tool's probe (BPF programs stop at a
 *  million instructions anyway). */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** Syntax-tree depth bpftsc compiles: real probes nest a few dozen levels. */
export const MAX_NESTING = 1000;

export function checkLimits(path: string, text: string, sf: ts.SourceFile): Diagnostic | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SOURCE_BYTES) return makeDiagnostic("tooLarge", { file: path, line: 0, col: 0 }, String(bytes), String(MAX_SOURCE_BYTES));
  const deepest = deepestNode(sf);
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
  return at ? tooDeep(path, text, at.node.getStart(sf), at.depth) : tooDeep(path, text, deepestBracket(text).pos, deepestBracket(text).depth);
}

function tooDeep(path: string, text: string, pos: number, depth: number): Diagnostic {
  const before = text.slice(0, pos).split(/\r?\n/);
  const line = before.length;
  return makeDiagnostic("tooDeep", { file: path, line, col: before[line - 1]!.length + 1, sourceLine: text.split(/\r?\n/)[line - 1] }, String(depth));
}

/** The most deeply nested node, found iteratively (the search cannot run out of stack). */
function deepestNode(sf: ts.SourceFile): { node: ts.Node; depth: number } {
  let best = { node: sf as ts.Node, depth: 0 };
  const stack: [ts.Node, number][] = [[sf, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > best.depth) best = { node, depth };
    ts.forEachChild(node, (c) => { stack.push([c, depth + 1]); });
  }
  return best;
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
