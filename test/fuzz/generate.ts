// The fuzzer's program generator: from a seed, a random in-subset probe program (ast.ts)
// — top-level structs, integer constants, globals, load-time settings and helper
// functions (some `@noinline`), and a uprobe handler on the target's fz() (target.ts)
// fetching some of its arguments at declared types, whose body declares, computes,
// branches and loops, writing what it computes to out slots. The same seed gives the
// same program. Loops follow README's rules with a few iterations, so verification stays
// cheap; nothing the README calls an error is generated.

import { INT_NAMES, bitsOf, isSigned, type AssignOp, type Expr, type GlobalDecl, type Helper, type IntName, type LValue, type MapDecl, type Program, type ScalarName, type SettingDecl, type Stmt, type StructDecl } from "./ast.js";
import { ExprGen } from "./generate-expr.js";
import { Rng } from "./prng.js";
import { Scope, type Sym } from "./scope.js";
import { TARGET_PARAMS } from "./target.js";

/** How many times the target calls each program's handler, with different arguments. */
export const CALLS_PER_PROGRAM = 3;

const COMPOUND: readonly AssignOp[] = ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", ">>>="];
const LOOP_TYPES: readonly IntName[] = ["i32", "i32", "u32", "i64", "u64", "u8", "i8", "u16", "i16"];

type LoopShape = { type: IntName; start: bigint; op: "<" | "<=" | ">" | ">="; bound: bigint; step: bigint };

export function generate(seed: number): Program {
  return new Generator(seed).program();
}

function scalarType(rng: Rng, boolChance = 0.12): ScalarName {
  return rng.chance(boolChance) ? "bool" : rng.pick(INT_NAMES);
}

/** A value of type `t`, edge-biased, as its canonical (narrowed) integer. */
function valueOf(rng: Rng, t: ScalarName): bigint {
  if (t === "bool") return BigInt(rng.int(2));
  const bits = bitsOf(t);
  const raw = rng.weighted<() => bigint>([
    [2, () => BigInt(rng.int(10))],
    [1, () => -1n],
    [1, () => (isSigned(t) ? -(1n << BigInt(bits - 1)) : (1n << BigInt(bits)) - 1n)],
    [1, () => (isSigned(t) ? (1n << BigInt(bits - 1)) - 1n : 1n << BigInt(bits - 1))],
    [3, () => rng.bits64()],
  ])();
  return isSigned(t) ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw);
}

class Generator {
  private readonly rng: Rng;
  private readonly scope = new Scope();
  private readonly helpers: Helper[] = [];
  private readonly ex: ExprGen;
  private fresh = 0;
  private slots = 0;
  private loops = 0;
  private loopDepth = 0;
  /** Inside a while or do loop: `continue` could skip the counter's step. */
  private noContinue = 0;
  private inHelper: Helper | undefined;
  private locals = { structs: 0, arrays: 0 };
  private budget = 0;
  private readonly structs: StructDecl[] = [];

  constructor(private readonly seed: number) {
    this.rng = new Rng(seed);
    // A helper calls only the helpers made before it: no recursion.
    this.ex = new ExprGen(this.rng, this.scope, () => this.callable());
  }

  /** The helpers a call here may name. */
  private callable(): Helper[] {
    return this.helpers.filter((h) => this.ex.canCall(h));
  }

  private startFunction(statements: number): void {
    this.budget = statements;
    this.loops = 0;
    this.locals = { structs: 0, arrays: 0 };
  }

  private name(prefix: string): string {
    return `${prefix}${this.fresh++}`;
  }

  program(): Program {
    const r = this.rng;
    for (let i = r.int(3); i > 0; i--) {
      const fields = Array.from({ length: r.range(2, 5) }, (_, k) => ({ name: `f${k}`, type: scalarType(r, 0.15) }));
      this.structs.push({ name: this.name("S"), fields });
    }
    const consts = Array.from({ length: r.int(3) }, () => ({ name: this.name("C"), v: this.ex.literal() }));
    for (const c of consts) this.scope.add({ kind: "scalar", name: c.name, type: "i64", writable: false, constant: true, tsLiteral: true });
    const globals = Array.from({ length: r.int(4) }, () => this.global());
    const settings = Array.from({ length: r.int(3) }, (): SettingDecl => {
      const type = scalarType(r);
      const s: SettingDecl = { name: this.name("k"), type, init: valueOf(r, type) };
      if (r.chance(0.6)) s.set = valueOf(r, type);
      this.scope.add({ kind: "scalar", name: s.name, type, writable: false, constant: false, tsLiteral: false });
      return s;
    });
    const maps = Array.from({ length: r.chance(0.5) ? r.range(1, 2) : 0 }, (): MapDecl => {
      const m: MapDecl = { name: this.name("m"), key: r.pick(INT_NAMES), value: r.pick(INT_NAMES) };
      this.scope.add({ kind: "map", ...m });
      return m;
    });
    for (let i = r.int(4); i > 0; i--) this.helpers.push(this.helper());

    this.scope.push();
    this.scope.add({ kind: "scalar", name: "call", type: "u32", writable: false, constant: false, tsLiteral: false });
    const params: Program["params"] = [];
    for (const p of TARGET_PARAMS) {
      if (!r.chance(0.6)) continue;
      const type: ScalarName = r.chance(0.5) ? p.type : p.type === "bool" && r.chance(0.5) ? "bool" : r.pick(INT_NAMES);
      params.push({ name: p.name, type });
      this.scope.add({ kind: "scalar", name: p.name, type, writable: true, constant: false, tsLiteral: false });
    }
    this.startFunction(40);
    const fetched = this.scope.scalars((s) => params.some((p) => p.name === s.name));
    const body = [...fetched.flatMap((s) => this.dump(s)), ...this.block(r.range(6, 12), 0, true), ...fetched.flatMap((s) => this.dump(s))];
    this.scope.pop();

    const calls = Array.from({ length: CALLS_PER_PROGRAM }, () => TARGET_PARAMS.map((p) => BigInt.asUintN(64, p.type === "bool" ? BigInt(r.int(2)) : valueOf(r, r.chance(0.7) ? p.type : "u64"))));
    return { seed: this.seed, structs: this.structs, consts, globals, settings, maps, helpers: this.helpers, params, body, slots: this.slots, calls };
  }

  private global(): GlobalDecl {
    const r = this.rng;
    const name = this.name("g");
    if (r.chance(0.2)) {
      const elem = r.pick(INT_NAMES);
      const init = Array.from({ length: r.range(2, 5) }, () => valueOf(r, elem));
      this.scope.add({ kind: "array", name, elem, len: init.length });
      return { name, type: { elem }, init };
    }
    const type = scalarType(r);
    this.scope.add({ kind: "scalar", name, type, writable: true, constant: false, tsLiteral: false });
    return { name, type, init: [r.chance(0.4) ? 0n : valueOf(r, type)] };
  }

  private helper(): Helper {
    const r = this.rng;
    const h: Helper = {
      name: this.name("h"),
      params: Array.from({ length: r.range(1, 4) }, () => ({ name: this.name("q"), type: r.pick(INT_NAMES) })),
      ret: r.chance(0.85) ? r.pick(INT_NAMES) : "void",
      noinline: r.chance(0.4),
      body: [],
    };
    if (this.structs.length && r.chance(0.35)) h.structParam = { name: this.name("q"), struct: r.pick(this.structs).name };
    this.inHelper = h;
    this.scope.push();
    if (h.structParam) this.scope.add({ kind: "struct", name: h.structParam.name, decl: this.structs.find((d) => d.name === h.structParam!.struct)! });
    for (const p of h.params) this.scope.add({ kind: "scalar", name: p.name, type: p.type, writable: true, constant: false, tsLiteral: false });
    this.startFunction(8);
    h.body = this.block(r.range(1, 4), 1, false);
    if (h.ret !== "void") h.body.push({ k: "return", e: this.ex.int(r.range(1, 3)) });
    this.scope.pop();
    this.inHelper = undefined;
    return h;
  }

  /** `n` statements in a new scope; in the handler, the scope's values are written to out slots at its end. */
  private block(n: number, depth: number, dumpAll: boolean): Stmt[] {
    this.scope.push();
    const out: Stmt[] = [];
    for (let i = 0; i < n && this.budget > 0; i++) {
      this.budget--;
      out.push(...this.statement(depth));
    }
    const declared = this.scope.pop();
    if (!this.inHelper && (dumpAll || this.rng.chance(0.6))) out.push(...declared.flatMap((s) => this.dump(s)));
    return out;
  }

  private out(e: Expr): Stmt {
    return { k: "out", slot: this.slots++, e };
  }

  /** Out statements writing every value of a symbol. */
  private dump(s: Sym): Stmt[] {
    const asInt = (e: Expr): Expr => ({ k: "cond", c: e, t: { k: "lit", v: 1n }, f: { k: "lit", v: 0n } });
    switch (s.kind) {
      case "scalar": {
        const e: Expr = { k: "ref", lv: { k: "var", name: s.name } };
        return [this.out(s.type === "bool" ? asInt(e) : e)];
      }
      case "struct":
        return s.decl.fields.map((f) => {
          const e: Expr = { k: "ref", lv: { k: "field", base: s.name, field: f.name } };
          return this.out(f.type === "bool" ? asInt(e) : e);
        });
      case "array":
        return Array.from({ length: s.len }, (_, i) => this.out({ k: "ref", lv: { k: "elem", arr: s.name, index: { k: "lit", v: BigInt(i) } } }));
      case "map":
        return [];
    }
  }

  private depth(): number {
    return this.rng.range(1, 3);
  }

  private statement(depth: number): Stmt[] {
    const r = this.rng;
    const handler = !this.inHelper;
    const canLoop = this.loopDepth < 2 && this.loops < 3;
    const inLoop = this.loopDepth > 0;
    return r.weighted<() => Stmt[]>([
      [4, () => [this.letStmt()]],
      [3.5, () => this.assignStmt()],
      [1, () => this.incDecStmt()],
      [handler ? 3 : 0, () => [this.out(this.ex.int(this.depth()))]],
      [depth < 3 ? 2 : 0, () => [this.ifStmt(depth)]],
      [canLoop ? 1.2 : 0, () => [this.forStmt(depth)]],
      [canLoop ? 0.5 : 0, () => this.whileStmt(depth)],
      [handler && this.structs.length && this.locals.structs < 2 ? 0.8 : 0, () => [this.structStmt()]],
      [handler && this.locals.arrays < 2 ? 0.8 : 0, () => [this.arrayStmt()]],
      [inLoop ? 0.6 : 0, () => [{ k: "if", c: this.ex.condition(1), then: [{ k: !this.noContinue && r.chance(0.5) ? "continue" : "break" }] }]],
      [0.15, () => [this.returnStmt()]],
      [this.callable().length ? 0.5 : 0, () => [this.callStmt()]],
      [this.scope.maps().length ? 1.2 : 0, () => [this.mapStmt()]],
    ])();
  }

  private letStmt(): Stmt {
    const type = scalarType(this.rng);
    const init = type === "bool" ? this.ex.bool(this.depth()) : this.ex.int(this.depth());
    const isConst = this.rng.chance(0.4);
    const name = this.name("v");
    this.scope.add({ kind: "scalar", name, type, writable: !isConst, constant: isConst && this.scope.isConstant(init), tsLiteral: false });
    return { k: "let", name, type, init, isConst };
  }

  /** The places an assignment may write: writable scalars, struct fields, array elements. */
  private target(wantInt: boolean): { lv: LValue; bool: boolean } | undefined {
    const r = this.rng;
    const choices: [number, () => { lv: LValue; bool: boolean }][] = [];
    for (const s of this.scope.all()) {
      if (s.kind === "scalar" && s.writable && (!wantInt || s.type !== "bool")) choices.push([2, () => ({ lv: { k: "var", name: s.name }, bool: s.type === "bool" })]);
      if (s.kind === "struct") {
        for (const f of s.decl.fields) {
          if (!wantInt || f.type !== "bool") choices.push([1, () => ({ lv: { k: "field", base: s.name, field: f.name }, bool: f.type === "bool" })]);
        }
      }
      if (s.kind === "array") choices.push([2, () => ({ lv: this.ex.element(s, r.chance(0.5), 1), bool: false })]);
    }
    return choices.length ? r.weighted(choices)() : undefined;
  }

  private assignStmt(): Stmt[] {
    const t = this.target(false);
    if (!t) return [];
    if (t.bool) return [{ k: "assign", lv: t.lv, op: "=", e: this.ex.bool(this.depth()) }];
    const op: AssignOp = this.rng.chance(0.4) ? "=" : this.rng.pick(COMPOUND);
    return [{ k: "assign", lv: t.lv, op, e: this.ex.int(this.depth()) }];
  }

  private incDecStmt(): Stmt[] {
    const t = this.target(true);
    return t ? [{ k: "incdec", lv: t.lv, op: this.rng.chance(0.5) ? "++" : "--" }] : [];
  }

  private ifStmt(depth: number): Stmt {
    const r = this.rng;
    const s: Stmt = { k: "if", c: this.ex.condition(this.depth()), then: this.block(r.range(1, 3), depth + 1, false) };
    if (r.chance(0.5)) s.else = this.block(r.range(1, 3), depth + 1, false);
    return s;
  }

  /** A counter's type, start, comparison, bound and step for at most 6 iterations that
   *  never wrap the counter's type (README "Statements": the type holds every value). */
  private loopShape(mustRun: boolean): LoopShape {
    const r = this.rng;
    const type = r.pick(LOOP_TYPES);
    const signed = isSigned(type);
    const step = r.pick([1n, 1n, 1n, 2n, 3n]);
    const span = BigInt(mustRun || r.chance(0.9) ? r.range(1, 5) : r.range(-1, 0)) * step;
    const bits = BigInt(bitsOf(type));
    const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
    if (r.chance(0.15)) {
      // At the edge of the type: the value that ends the loop is its last (or first) one.
      if (r.chance(0.5) || !signed) {
        const op = r.chance(0.5) ? "<" : "<=";
        const bound = op === "<" ? max - step + 1n : max - step;
        return { type, start: bound - (span > 0n ? span : step), op, bound, step };
      }
      const op = r.chance(0.5) ? ">" : ">=";
      const bound = op === ">" ? min + step - 1n : min + step;
      return { type, start: bound + (span > 0n ? span : step), op, bound, step: -step };
    }
    if (r.chance(0.7)) {
      const start = BigInt(signed ? r.range(-3, 3) : r.range(0, 3));
      const op = r.chance(0.5) ? "<" : "<=";
      const bound = start + span;
      return { type, start, op, bound: !signed && bound < 0n ? 0n : bound, step };
    }
    const start = BigInt(signed ? r.range(-2, 8) : r.range(2, 8));
    const op = r.chance(0.5) ? ">" : ">=";
    let bound = start - span;
    if (!signed) {
      const least = op === ">" ? step - 1n : step;
      if (bound < least) bound = least;
      if (mustRun && !(op === ">" ? start > bound : start >= bound)) return this.loopShape(mustRun);
    }
    return { type, start, op, bound, step: -step };
  }

  private loopBody(depth: number, counter: string, type: IntName, inScope: boolean, noContinue: boolean): Stmt[] {
    this.loops++;
    this.loopDepth++;
    if (noContinue) this.noContinue++;
    this.scope.push();
    if (inScope) this.scope.add({ kind: "scalar", name: counter, type, writable: false, constant: false, tsLiteral: false });
    const body = this.block(this.rng.range(1, 3), depth + 1, false);
    this.scope.pop();
    if (noContinue) this.noContinue--;
    this.loopDepth--;
    return body;
  }

  private forStmt(depth: number): Stmt {
    const shape = this.loopShape(false);
    const v = this.name("i");
    const extra = this.rng.chance(0.2) ? this.ex.bool(1) : undefined;
    const body = this.loopBody(depth, v, shape.type, true, false);
    return { k: "for", v, ...shape, extra, body };
  }

  private whileStmt(depth: number): Stmt[] {
    const isDo = this.rng.chance(0.4);
    const shape = this.loopShape(isDo);
    const v = this.name("w");
    const body = this.loopBody(depth, v, shape.type, true, true);
    this.scope.add({ kind: "scalar", name: v, type: shape.type, writable: false, constant: false, tsLiteral: false });
    return [{ k: "while", v, ...shape, body, isDo }];
  }

  private structStmt(): Stmt {
    const r = this.rng;
    const name = this.name("s");
    this.locals.structs++;
    const copies = this.scope.structs();
    if (copies.length && r.chance(0.3)) {
      const src = r.pick(copies);
      this.scope.add({ kind: "struct", name, decl: src.decl });
      return { k: "struct", name, struct: src.decl.name, init: { copyOf: src.name } };
    }
    const decl = r.pick(this.structs);
    const init = decl.fields.map((f) => (f.type === "bool" ? this.ex.bool(this.depth()) : this.ex.int(this.depth())));
    this.scope.add({ kind: "struct", name, decl });
    return { k: "struct", name, struct: decl.name, init, order: r.chance(0.5) ? r.shuffle(decl.fields.map((_, i) => i)) : undefined };
  }

  private arrayStmt(): Stmt {
    const r = this.rng;
    const name = this.name("r");
    this.locals.arrays++;
    const elem = r.pick(INT_NAMES);
    const len = r.range(2, 6);
    // TypeScript wants a literal of every element: a shorter one is a type error.
    const init = r.chance(0.2) ? [] : Array.from({ length: len }, () => this.ex.int(this.depth()));
    this.scope.add({ kind: "array", name, elem, len });
    return { k: "array", name, elem, len, init };
  }

  private returnStmt(): Stmt {
    const h = this.inHelper;
    const e = h && h.ret !== "void" ? this.ex.int(this.depth()) : undefined;
    return { k: "if", c: this.ex.condition(this.depth()), then: [{ k: "return", e }] };
  }

  private callStmt(): Stmt {
    const h = this.rng.pick(this.callable());
    return { k: "expr", e: this.ex.call(h, this.depth() - 1) };
  }

  private mapStmt(): Stmt {
    const r = this.rng;
    const map = r.pick(this.scope.maps()).name;
    const key = this.ex.key(this.depth() - 1);
    if (r.chance(0.2)) return { k: "mapdel", map, key };
    return { k: r.chance(0.6) ? "mapset" : "mapadd", map, key, value: this.ex.int(this.depth()) };
  }
}
