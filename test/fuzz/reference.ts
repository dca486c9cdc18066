// The reference evaluator: runs a generated program (ast.ts) the way README says
// bpftsc's language behaves, on the arguments the target passes in each call, and
// returns what the out map and the globals must hold afterwards. Integer rules are in
// semantics.ts; the rest follows TypeScript: evaluation left to right (a compound
// assignment reads its target before evaluating its right side), `&&`, `||` and `?:`
// evaluate only what they need, structs are values (passed to a function by reference),
// arguments and results are narrowed to the declared types. A run-time index out of range
// reads 0 and writes nothing. A HashMap's keys and values are narrowed to its types;
// `add` on an absent key inserts the delta.
// Nothing here comes from the compiler.

import { MAP_CAPACITY, bitsOf, type Expr, type Helper, type LValue, type MapDecl, type Program, type ScalarName, type Stmt, type StructDecl } from "./ast.js";
import { arith, bool, branchesType, cValue, compare, invert, literal, narrow, negate, promoted, truthy, typed, type Typed, type ValueType } from "./semantics.js";
import { TARGET_PARAMS } from "./target.js";

export interface Expected {
  /** The out map: calls * slots values as u64 patterns (0 where nothing was written). */
  out: bigint[];
  /** Each global's and setting's value after the last call (a scalar is one element). */
  globals: Map<string, bigint[]>;
  /** Each HashMap's entries after the last call, keys and values as unsigned patterns of their sizes. */
  maps: Map<string, Map<bigint, bigint>>;
}

type Cell =
  | { kind: "scalar"; t: ScalarName; v: bigint }
  | { kind: "struct"; decl: StructDecl; fields: Map<string, { t: ScalarName; v: bigint }> }
  | { kind: "array"; elem: ScalarName; vals: bigint[] };

type Flow = undefined | { k: "break" | "continue" } | { k: "return"; v?: Typed };

/** Loops are bounded by construction; this catches a generator that breaks that. */
const MAX_ITERATIONS = 10_000;

export function evaluate(p: Program): Expected {
  return new Interpreter(p).run();
}

class Interpreter {
  private readonly globals = new Map<string, Cell>();
  private readonly consts = new Map<string, Typed>();
  private readonly helpers = new Map<string, Helper>();
  private readonly maps = new Map<string, { decl: MapDecl; entries: Map<bigint, bigint> }>();
  private frames: Map<string, Cell>[] = [];
  private readonly out: bigint[];
  private call = 0;

  constructor(private readonly p: Program) {
    this.out = new Array<bigint>(p.calls.length * p.slots).fill(0n);
    for (const c of p.consts) this.consts.set(c.name, literal(c.v));
    for (const g of p.globals) {
      this.globals.set(g.name, typeof g.type === "object"
        ? { kind: "array", elem: g.type.elem, vals: g.init.map((v) => narrow((g.type as { elem: ScalarName }).elem, v)) }
        : { kind: "scalar", t: g.type, v: narrow(g.type, g.init[0]!) });
    }
    for (const s of p.settings) this.globals.set(s.name, { kind: "scalar", t: s.type, v: narrow(s.type, s.set ?? s.init) });
    for (const h of p.helpers) this.helpers.set(h.name, h);
    for (const m of p.maps) this.maps.set(m.name, { decl: m, entries: new Map() });
  }

  run(): Expected {
    this.p.calls.forEach((raw, call) => {
      this.call = call;
      const params = new Map<string, Cell>([["call", { kind: "scalar", t: "u32", v: BigInt(call) }]]);
      for (const q of this.p.params) {
        const k = TARGET_PARAMS.findIndex((t) => t.name === q.name);
        const c = cValue(TARGET_PARAMS[k]!.type, raw[k]!);
        params.set(q.name, { kind: "scalar", t: q.type, v: narrow(q.type, c) });
      }
      this.frames = [params];
      this.block(this.p.body);
    });
    const globals = new Map<string, bigint[]>();
    for (const [name, c] of this.globals) globals.set(name, c.kind === "array" ? [...c.vals] : c.kind === "scalar" ? [c.v] : []);
    const maps = new Map([...this.maps].map(([name, m]) =>
      [name, new Map([...m.entries].map(([k, v]) => [BigInt.asUintN(bitsOf(m.decl.key), k), BigInt.asUintN(bitsOf(m.decl.value), v)]))]));
    return { out: this.out, globals, maps };
  }

  // ---- names ----

  private lookup(name: string): Cell {
    return this.lookupIn(this.frames, name);
  }

  private lookupIn(frames: Map<string, Cell>[], name: string): Cell {
    for (let i = frames.length - 1; i >= 0; i--) {
      const c = frames[i]!.get(name);
      if (c) return c;
    }
    const g = this.globals.get(name);
    if (!g) throw new Error(`reference: unknown name ${name}`);
    return g;
  }

  private declare(name: string, c: Cell): void {
    this.frames[this.frames.length - 1]!.set(name, c);
  }

  private typeOfLValue(lv: LValue): ValueType {
    const constant = lv.k === "var" ? this.consts.get(lv.name) : undefined;
    if (constant) return constant.t;
    const c = this.lookup(lv.k === "var" ? lv.name : lv.k === "field" ? lv.base : lv.arr);
    if (lv.k === "var" && c.kind === "scalar") return c.t;
    if (lv.k === "field" && c.kind === "struct") return c.fields.get(lv.field)!.t;
    if (lv.k === "elem" && c.kind === "array") return c.elem;
    throw new Error(`reference: bad lvalue ${JSON.stringify(lv)}`);
  }

  /** Where an lvalue is, its index evaluated (once): a setter, or none out of range. */
  private place(lv: LValue): { t: ValueType; get: () => bigint; set?: (v: bigint) => void } {
    const constant = lv.k === "var" ? this.consts.get(lv.name) : undefined;
    if (constant) return { t: constant.t, get: () => constant.v };
    if (lv.k === "var") {
      const c = this.lookup(lv.name) as Extract<Cell, { kind: "scalar" }>;
      return { t: c.t, get: () => c.v, set: (v) => (c.v = narrow(c.t, v)) };
    }
    if (lv.k === "field") {
      const f = (this.lookup(lv.base) as Extract<Cell, { kind: "struct" }>).fields.get(lv.field)!;
      return { t: f.t, get: () => f.v, set: (v) => (f.v = narrow(f.t, v)) };
    }
    const a = this.lookup(lv.arr) as Extract<Cell, { kind: "array" }>;
    const i = this.expr(lv.index).v;
    if (i < 0n || i >= BigInt(a.vals.length)) return { t: a.elem, get: () => 0n };
    const k = Number(i);
    return { t: a.elem, get: () => a.vals[k]!, set: (v) => (a.vals[k] = narrow(a.elem, v)) };
  }

  // ---- expressions ----

  /** The type of an expression, without evaluating it. */
  private typeOf(e: Expr): ValueType {
    switch (e.k) {
      case "lit": return literal(e.v).t;
      case "bool": case "not": case "cmp": case "logic": return "bool";
      case "ref": return this.typeOfLValue(e.lv);
      case "bin": return promoted(this.typeOf(e.l), this.typeOf(e.r));
      case "neg": case "inv": return promoted(this.typeOf(e.e), "lit");
      case "cond": return branchesType(this.typeOf(e.t), this.typeOf(e.f));
      case "cast": return e.to;
      case "call": {
        const ret = this.helpers.get(e.fn)!.ret;
        if (ret === "void") throw new Error(`reference: ${e.fn}() used as a value`);
        return ret;
      }
      case "mapget": return branchesType(this.maps.get(e.map)!.decl.value, this.typeOf(e.fallback));
    }
  }

  private expr(e: Expr): Typed {
    switch (e.k) {
      case "lit": return literal(e.v);
      case "bool": return bool(e.v);
      case "ref": {
        const pl = this.place(e.lv);
        return { v: pl.get(), t: pl.t };
      }
      case "bin": {
        const l = this.expr(e.l);
        return arith(e.op, l, this.expr(e.r));
      }
      case "neg": return negate(this.expr(e.e));
      case "inv": return invert(this.expr(e.e));
      case "not": return bool(!truthy(this.expr(e.e)));
      case "cmp": {
        const l = this.expr(e.l);
        return bool(compare(e.op, l, this.expr(e.r)));
      }
      case "logic": {
        const l = truthy(this.expr(e.l));
        if (e.op === "&&") return bool(l && truthy(this.expr(e.r)));
        return bool(l || truthy(this.expr(e.r)));
      }
      case "cond": {
        const t = this.typeOf(e);
        return typed(t, this.expr(truthy(this.expr(e.c)) ? e.t : e.f).v);
      }
      case "cast": return { v: narrow(e.to, this.expr(e.e).v), t: e.to };
      case "call": {
        const r = this.callHelper(e.fn, e.args, e.struct);
        if (!r) throw new Error(`reference: ${e.fn}() returned nothing`);
        return r;
      }
      case "mapget": {
        const t = this.typeOf(e);
        const m = this.maps.get(e.map)!;
        const v = m.entries.get(narrow(m.decl.key, this.expr(e.key).v));
        return typed(t, v ?? this.expr(e.fallback).v);
      }
    }
  }

  private callHelper(name: string, args: Expr[], struct: string | undefined): Typed | undefined {
    const h = this.helpers.get(name)!;
    const values = args.map((a, i) => narrow(h.params[i]!.type, this.expr(a).v));
    const saved = this.frames;
    this.frames = [new Map(h.params.map((q, i) => [q.name, { kind: "scalar", t: q.type, v: values[i]! }]))];
    if (h.structParam) this.frames[0]!.set(h.structParam.name, this.lookupIn(saved, struct!));
    const flow = this.block(h.body);
    this.frames = saved;
    if (h.ret === "void") return undefined;
    if (flow?.k !== "return" || !flow.v) throw new Error(`reference: ${name}() fell off its end`);
    return { v: narrow(h.ret, flow.v.v), t: h.ret };
  }

  // ---- statements ----

  private block(ss: readonly Stmt[]): Flow {
    this.frames.push(new Map());
    try {
      for (const s of ss) {
        const flow = this.stmt(s);
        if (flow) return flow;
      }
      return undefined;
    } finally {
      this.frames.pop();
    }
  }

  private stmt(s: Stmt): Flow {
    switch (s.k) {
      case "let":
        this.declare(s.name, { kind: "scalar", t: s.type, v: narrow(s.type, this.expr(s.init).v) });
        return undefined;
      case "struct": {
        if (!Array.isArray(s.init)) {
          const src = this.lookup(s.init.copyOf) as Extract<Cell, { kind: "struct" }>;
          this.declare(s.name, { kind: "struct", decl: src.decl, fields: new Map([...src.fields].map(([n, f]) => [n, { ...f }])) });
          return undefined;
        }
        const decl = this.p.structs.find((d) => d.name === s.struct)!;
        const values = new Map<number, bigint>();
        for (const i of s.order ?? decl.fields.keys()) values.set(i, narrow(decl.fields[i]!.type, this.expr(s.init[i]!).v));
        const fields = new Map(decl.fields.map((f, i) => [f.name, { t: f.type, v: values.get(i)! }]));
        this.declare(s.name, { kind: "struct", decl, fields });
        return undefined;
      }
      case "array": {
        const vals = s.init.length ? s.init.map((x) => narrow(s.elem, this.expr(x).v)) : new Array<bigint>(s.len).fill(0n);
        this.declare(s.name, { kind: "array", elem: s.elem, vals });
        return undefined;
      }
      case "assign": {
        const pl = this.place(s.lv);
        if (s.op === "=") {
          const v = this.expr(s.e).v;
          pl.set?.(v);
        } else {
          const old: Typed = { v: pl.get(), t: pl.t };
          const v = arith(s.op.slice(0, -1) as Parameters<typeof arith>[0], old, this.expr(s.e)).v;
          pl.set?.(v);
        }
        return undefined;
      }
      case "incdec": {
        const pl = this.place(s.lv);
        pl.set?.(arith(s.op === "++" ? "+" : "-", { v: pl.get(), t: pl.t }, { v: 1n, t: "lit" }).v);
        return undefined;
      }
      case "if":
        if (truthy(this.expr(s.c))) return this.block(s.then);
        return s.else ? this.block(s.else) : undefined;
      case "for":
        return this.loop(s.v, s.type, s.start, s.step, () => this.counterHolds(s.v, s.op, s.bound) && (!s.extra || truthy(this.expr(s.extra))), s.body, false, true);
      case "while":
        return this.loop(s.v, s.type, s.start, s.step, () => this.counterHolds(s.v, s.op, s.bound), s.body, s.isDo, false);
      case "break":
      case "continue":
        return { k: s.k };
      case "return":
        return { k: "return", v: s.e ? this.expr(s.e) : undefined };
      case "out": {
        const v = this.expr(s.e).v;
        this.out[this.call * this.p.slots + s.slot] = BigInt.asUintN(64, v);
        return undefined;
      }
      case "expr":
        if (s.e.k === "call") this.callHelper(s.e.fn, s.e.args, s.e.struct);
        else this.expr(s.e);
        return undefined;
      case "mapset":
      case "mapadd": {
        const m = this.maps.get(s.map)!;
        const key = narrow(m.decl.key, this.expr(s.key).v);
        const v = this.expr(s.value);
        const old = m.entries.get(key);
        const sum = s.k === "mapadd" && old !== undefined ? arith("+", { v: old, t: m.decl.value }, v).v : v.v;
        if (m.entries.size >= MAP_CAPACITY && old === undefined) throw new Error(`reference: map ${s.map} is full`);
        m.entries.set(key, narrow(m.decl.value, sum));
        return undefined;
      }
      case "mapdel": {
        const m = this.maps.get(s.map)!;
        m.entries.delete(narrow(m.decl.key, this.expr(s.key).v));
        return undefined;
      }
    }
  }

  private counterHolds(v: string, op: "<" | "<=" | ">" | ">=", bound: bigint): boolean {
    const c = this.lookup(v) as Extract<Cell, { kind: "scalar" }>;
    return compare(op, { v: c.v, t: c.t }, literal(bound));
  }

  /** A for loop (counter scoped to it) or a while/do loop (counter declared before it). */
  private loop(v: string, t: ScalarName, start: bigint, step: bigint, holds: () => boolean, body: readonly Stmt[], isDo: boolean, scoped: boolean): Flow {
    const counter: Cell = { kind: "scalar", t, v: narrow(t, start) };
    if (scoped) this.frames.push(new Map());
    this.declare(v, counter);
    try {
      for (let n = 0; ; n++) {
        if (!(isDo && n === 0) && !holds()) break;
        if (n > MAX_ITERATIONS) throw new Error(`reference: loop on ${v} does not end`);
        const flow = this.block(body);
        if (flow?.k === "break") break;
        if (flow?.k === "return") return flow;
        counter.v = narrow(t, arith("+", { v: counter.v, t }, { v: step, t: "lit" }).v);
      }
      return undefined;
    } finally {
      if (scoped) this.frames.pop();
    }
  }
}
