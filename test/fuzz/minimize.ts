// Shrinks a failing program to a smaller one that fails the same way (same outcome kind;
// for a refusal or a crash, the same first diagnostic code or message line): greedily
// tries removing declarations, statements, branches and calls, and replacing expressions
// with their operands or 0, keeping the first candidate of each round that still fails.
// Candidates that do not name only what is in scope are skipped without running them.

import type { Expr, LValue, Program, Stmt } from "./ast.js";
import { evaluate } from "./reference.js";
import { runBatch, type Outcome } from "./run-batch.js";

/** Candidates run per object: a mismatch batches well; a program that fails to build or
 *  load makes the runner retry each of its batch alone, so those go one by one. */
const perRound = (o: Outcome) => (o.kind === "mismatch" ? 12 : 1);

export function minimize(o: Outcome, target: string): Outcome {
  let best = o;
  for (;;) {
    const candidates = shrink(best.program).filter((c) => wellScoped(c) && evaluates(c) && size(c) < size(best.program));
    let next: Outcome | undefined;
    for (let i = 0; i < candidates.length && !next; i += perRound(o)) {
      next = runBatch(candidates.slice(i, i + perRound(o)), target).find((x) => sameFailure(o, x));
    }
    if (!next) break;
    best = next;
  }
  // Once more alone, as program 0, with its out slots numbered from 0 without gaps.
  const again = runBatch([compactSlots(best.program)], target)[0]!;
  return sameFailure(o, again) ? again : best;
}

function compactSlots(p: Program): Program {
  const q = clone(p);
  let n = 0;
  const visit = (ss: Stmt[]): void => ss.forEach((s) => {
    if (s.k === "out") s.slot = n++;
    if (s.k === "if") { visit(s.then); if (s.else) visit(s.else); }
    if (s.k === "for" || s.k === "while") visit(s.body);
  });
  visit(q.body);
  q.slots = n;
  return q;
}

function sameFailure(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "refused") return /BPF\d+/.exec(a.detail)?.[0] === /BPF\d+/.exec(b.detail)?.[0];
  if (a.kind === "crashed") return firstLine(a.detail) === firstLine(b.detail);
  return true;
}

function firstLine(s: string): string {
  return /bpftsc threw: (.*)/.exec(s)?.[1] ?? "";
}

function evaluates(p: Program): boolean {
  try {
    evaluate(p);
    return true;
  } catch {
    return false;
  }
}

function size(p: Program): number {
  return JSON.stringify(p, (_, v) => (typeof v === "bigint" ? String(v) : v)).length;
}

const clone = <T>(x: T): T => structuredClone(x);

/** Every one-step simplification of `p`, the larger reductions first. */
function shrink(p: Program): Program[] {
  const out: Program[] = [];
  const variant = (f: (q: Program) => void) => {
    const q = clone(p);
    f(q);
    out.push(q);
  };
  p.calls.forEach((_, k) => p.calls.length > 1 && variant((q) => (q.calls = [q.calls[k]!])));
  (["helpers", "globals", "settings", "maps", "consts", "structs", "params"] as const).forEach((key) =>
    p[key].forEach((_, i) => variant((q) => (q[key] as unknown[]).splice(i, 1))));
  p.helpers.forEach((h, i) => h.noinline && variant((q) => (q.helpers[i]!.noinline = false)));
  const lists = (q: Program): Stmt[][] => [q.body, ...q.helpers.map((h) => h.body)].flatMap(allLists);
  lists(p).forEach((list, li) => list.forEach((s, si) => {
    const at = (q: Program) => lists(q)[li]!;
    variant((q) => at(q).splice(si, 1));
    if (s.k === "if") {
      variant((q) => at(q).splice(si, 1, ...s.then));
      if (s.else) variant((q) => at(q).splice(si, 1, ...s.else!));
      if (s.else) variant((q) => delete (at(q)[si] as Extract<Stmt, { k: "if" }>).else);
    }
    if (s.k === "for" || s.k === "while") variant((q) => at(q).splice(si, 1, ...s.body));
    if (s.k === "for" && s.extra) variant((q) => delete (at(q)[si] as Extract<Stmt, { k: "for" }>).extra);
  }));
  const n = countExprs(p);
  for (let i = 0; i < n; i++) {
    const e = exprAt(p, i)!;
    for (const r of [...children(e), { k: "lit", v: 0n } as Expr, { k: "lit", v: 1n } as Expr]) {
      if (JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v)) === JSON.stringify(e, (_, v) => (typeof v === "bigint" ? String(v) : v))) continue;
      variant((q) => replaceExprAt(q, i, clone(r)));
    }
  }
  p.calls.forEach((c, k) => c.forEach((v, j) => v !== 0n && variant((q) => (q.calls[k]![j] = 0n))));
  return out;
}

function allLists(ss: Stmt[]): Stmt[][] {
  const nested = ss.flatMap((s): Stmt[][] => {
    if (s.k === "if") return [...allLists(s.then), ...(s.else ? allLists(s.else) : [])];
    if (s.k === "for" || s.k === "while") return allLists(s.body);
    return [];
  });
  return [ss, ...nested];
}

function children(e: Expr): Expr[] {
  switch (e.k) {
    case "bin": case "cmp": case "logic": return [e.l, e.r];
    case "neg": case "not": case "inv": case "cast": return [e.e];
    case "cond": return [e.t, e.f, e.c];
    case "call": return e.args;
    case "mapget": return [e.key, e.fallback];
    case "ref": return e.lv.k === "elem" ? [e.lv.index] : [];
    default: return [];
  }
}

/** Visits every expression slot of a program in a fixed order; `f` may replace one. */
function visitExprs(p: Program, f: (e: Expr) => Expr): void {
  const ex = (e: Expr): Expr => {
    const r = f(e);
    switch (r.k) {
      case "bin": case "cmp": case "logic": r.l = ex(r.l); r.r = ex(r.r); break;
      case "neg": case "not": case "inv": case "cast": r.e = ex(r.e); break;
      case "cond": r.c = ex(r.c); r.t = ex(r.t); r.f = ex(r.f); break;
      case "call": r.args = r.args.map(ex); break;
      case "mapget": r.key = ex(r.key); r.fallback = ex(r.fallback); break;
      case "ref": lv(r.lv); break;
      default: break;
    }
    return r;
  };
  const lv = (l: LValue) => {
    if (l.k === "elem") l.index = ex(l.index);
  };
  const st = (s: Stmt): void => {
    switch (s.k) {
      case "let": s.init = ex(s.init); break;
      case "struct": if (Array.isArray(s.init)) s.init = s.init.map(ex); break;
      case "array": s.init = s.init.map(ex); break;
      case "assign": lv(s.lv); s.e = ex(s.e); break;
      case "incdec": lv(s.lv); break;
      case "if": s.c = ex(s.c); s.then.forEach(st); s.else?.forEach(st); break;
      case "for": if (s.extra) s.extra = ex(s.extra); s.body.forEach(st); break;
      case "while": s.body.forEach(st); break;
      case "return": if (s.e) s.e = ex(s.e); break;
      case "out": case "expr": s.e = ex(s.e); break;
      case "mapset": case "mapadd": s.key = ex(s.key); s.value = ex(s.value); break;
      case "mapdel": s.key = ex(s.key); break;
      default: break;
    }
  };
  p.helpers.forEach((h) => h.body.forEach(st));
  p.body.forEach(st);
}

function countExprs(p: Program): number {
  let n = 0;
  visitExprs(clone(p), (e) => (n++, e));
  return n;
}

function exprAt(p: Program, i: number): Expr | undefined {
  let n = 0, found: Expr | undefined;
  visitExprs(clone(p), (e) => (n++ === i && (found = e), e));
  return found;
}

function replaceExprAt(p: Program, i: number, r: Expr): void {
  let n = 0;
  visitExprs(p, (e) => (n++ === i ? r : e));
}

/** Whether every name a program uses is declared where it is used, every `break` and
 *  `continue` is in a loop, and every helper with a result ends in a return. */
function wellScoped(p: Program): boolean {
  const top = new Set<string>([...p.consts, ...p.globals, ...p.settings].map((x) => x.name));
  const maps = new Set(p.maps.map((m) => m.name));
  const structs = new Map(p.structs.map((s) => [s.name, s]));
  const helpers = new Map(p.helpers.map((h) => [h.name, h]));
  let ok = true;
  const check = (c: boolean) => (ok &&= c);
  const scopes: Map<string, string | undefined>[] = [];
  const has = (n: string) => top.has(n) || scopes.some((s) => s.has(n));
  const structOf = (n: string) => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(n)) return scopes[i]!.get(n);
    return undefined;
  };
  const ex = (e: Expr): void => {
    if (e.k === "ref") lv(e.lv);
    if (e.k === "call") {
      const h = helpers.get(e.fn);
      check(h !== undefined && h.params.length === e.args.length && (!h.structParam || structOf(e.struct ?? "") === h.structParam.struct));
    }
    if (e.k === "mapget") check(maps.has(e.map));
    children(e).forEach(ex);
  };
  const lv = (l: LValue) => {
    if (l.k === "var") check(has(l.name));
    if (l.k === "field") {
      const s = structs.get(structOf(l.base) ?? "");
      check(s !== undefined && s.fields.some((f) => f.name === l.field));
    }
    if (l.k === "elem") {
      check(has(l.arr));
      ex(l.index);
    }
  };
  const block = (ss: Stmt[], loops: number, declared: string[] = []) => {
    scopes.push(new Map(declared.map((n) => [n, undefined])));
    ss.forEach((s) => st(s, loops));
    scopes.pop();
  };
  const st = (s: Stmt, loops: number): void => {
    const here = scopes[scopes.length - 1]!;
    switch (s.k) {
      case "let": ex(s.init); here.set(s.name, undefined); break;
      case "struct":
        if (Array.isArray(s.init)) s.init.forEach(ex);
        else check(structOf(s.init.copyOf) === s.struct);
        check(structs.has(s.struct));
        here.set(s.name, s.struct);
        break;
      case "array": s.init.forEach(ex); here.set(s.name, undefined); break;
      case "assign": lv(s.lv); ex(s.e); break;
      case "incdec": lv(s.lv); break;
      case "if": ex(s.c); block(s.then, loops); if (s.else) block(s.else, loops); break;
      case "for": block(s.extra ? [{ k: "expr", e: s.extra }, ...s.body] : s.body, loops + 1, [s.v]); break;
      case "while": block(s.body, loops + 1, [s.v]); here.set(s.v, undefined); break;
      case "break": case "continue": check(loops > 0); break;
      case "return": if (s.e) ex(s.e); break;
      case "out": case "expr": ex(s.e); break;
      case "mapset": case "mapadd": check(maps.has(s.map)); ex(s.key); ex(s.value); break;
      case "mapdel": check(maps.has(s.map)); ex(s.key); break;
    }
  };
  for (const h of p.helpers) {
    scopes.push(new Map(h.structParam ? [[h.structParam.name, h.structParam.struct]] : []));
    block(h.body, 0, h.params.map((q) => q.name));
    scopes.pop();
    if (h.ret !== "void") check(h.body[h.body.length - 1]?.k === "return");
  }
  block(p.body, 0, ["call", ...p.params.map((q) => q.name)]);
  return ok;
}
