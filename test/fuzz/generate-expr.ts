// Random expressions of the subset, typed as TypeScript needs them: integer expressions
// (TypeScript's `number`) and conditions (`boolean`). Reads only names in scope; a
// run-time array index is never one bpftsc folds to a constant (a constant index out of
// range is an error, so constant indexes are in range); two literal-typed operands are
// never compared, and no literal other than 0 and 1 is tested for truth (TypeScript
// calls `1 === 2` and `if (5)` errors).

import { INT_NAMES, type ArithOp, type CmpOp, type Expr, type Helper, type LValue } from "./ast.js";
import type { Rng } from "./prng.js";
import type { ArraySym, Scope } from "./scope.js";

const ARITH_OPS: readonly ArithOp[] = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"];
const CMP_OPS: readonly CmpOp[] = ["===", "!==", "<", "<=", ">", ">="];

/** Literals near the edges of the integer types, and a few small ones. */
const EDGES: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 5n, 7n, 8n, 15n, 16n, 31n, 32n, 33n, 63n, 64n, 65n, 100n, 127n, 128n, 255n, 256n, 1000n,
  0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn,
];

/** What TypeScript calls always truthy in a condition: a literal other than 0 and 1 (cast
 *  or not), or a conditional of two such. */
function alwaysTruthy(e: Expr): boolean {
  if (e.k === "lit") return e.v > 1n;
  if (e.k === "cast") return alwaysTruthy(e.e);
  return e.k === "cond" && alwaysTruthy(e.t) && alwaysTruthy(e.f);
}

export class ExprGen {
  constructor(
    private readonly rng: Rng,
    private readonly scope: Scope,
    /** The functions a call here may name (non-void ones are usable as values). */
    private readonly callable: () => readonly Helper[],
  ) {}

  literal(): bigint {
    const r = this.rng;
    return r.weighted<() => bigint>([
      [6, () => r.pick(EDGES)],
      [3, () => BigInt(r.int(20))],
      [1, () => BigInt.asUintN(63, r.bits64() >> BigInt(r.int(63)))],
      [1, () => r.pick([1n << 63n, (1n << 64n) - 1n, (1n << 63n) | r.bits64()])],
    ])();
  }

  /** An integer-valued expression of at most `depth` operator levels. */
  int(depth: number): Expr {
    const r = this.rng;
    if (depth <= 0) return this.intLeaf();
    const arrays = this.scope.arrays();
    const maps = this.scope.maps();
    const calls = this.callable().filter((h) => h.ret !== "void" && this.canCall(h));
    return r.weighted<() => Expr>([
      [3, () => this.intLeaf()],
      [6, () => ({ k: "bin", op: r.pick(ARITH_OPS), l: this.int(depth - 1), r: this.shiftOrOperand(depth - 1) })],
      [1, () => ({ k: r.chance(0.5) ? "neg" : "inv", e: this.int(depth - 1) })],
      [1.5, () => ({ k: "cast", to: r.pick(INT_NAMES), e: this.int(depth - 1) })],
      [1.2, () => ({ k: "cond", c: this.condition(depth - 1), t: this.int(depth - 1), f: this.int(depth - 1) })],
      [0.6, () => ({ k: "logic", op: r.chance(0.5) ? "&&" : "||", l: this.notLiteral(this.int(depth - 1)), r: this.notLiteral(this.int(depth - 1)) })],
      [arrays.length ? 1.2 : 0, () => ({ k: "ref", lv: this.element(r.pick(arrays), true, depth - 1) })],
      [calls.length ? 1 : 0, () => this.call(r.pick(calls), depth - 1)],
      [maps.length ? 1 : 0, () => ({ k: "mapget", map: r.pick(maps).name, key: this.key(depth - 1), fallback: this.int(depth - 1) })],
    ])();
  }

  /** Whether a struct local `h` can take is in scope (if it takes one). */
  canCall(h: Helper): boolean {
    return !h.structParam || this.scope.structs().some((s) => s.decl.name === h.structParam!.struct);
  }

  /** A call of `h` (canCall(h)), with arguments of at most `depth` levels. */
  call(h: Helper, depth: number): Expr {
    const e: Expr = { k: "call", fn: h.name, args: h.params.map(() => this.int(depth)) };
    if (h.structParam) e.struct = this.rng.pick(this.scope.structs().filter((s) => s.decl.name === h.structParam!.struct)).name;
    return e;
  }

  /** A map key: often one of a few small values, so that keys meet again. */
  key(depth: number): Expr {
    const r = this.rng;
    return r.weighted<() => Expr>([
      [3, () => ({ k: "lit", v: BigInt(r.int(4)) })],
      [2, () => ({ k: "bin", op: "&", l: this.variable(), r: { k: "lit", v: 3n } })],
      [2, () => this.int(depth)],
    ])();
  }

  /** A right operand: often a small literal, so shifts keep some bits. */
  private shiftOrOperand(depth: number): Expr {
    return this.rng.chance(0.25) ? { k: "lit", v: BigInt(this.rng.int(66)) } : this.int(depth);
  }

  /** A `boolean` expression of at most `depth` levels. */
  bool(depth: number): Expr {
    const r = this.rng;
    const vars = this.scope.scalars((s) => s.type === "bool");
    const fields = this.boolFields();
    if (depth <= 0) {
      return r.weighted<() => Expr>([
        [vars.length ? 2 : 0, () => ({ k: "ref", lv: { k: "var", name: r.pick(vars).name } })],
        [fields.length ? 1 : 0, () => ({ k: "ref", lv: r.pick(fields) })],
        [3, () => this.compare(0)],
        [0.3, () => ({ k: "bool", v: r.chance(0.5) })],
      ])();
    }
    return r.weighted<() => Expr>([
      [5, () => this.compare(depth - 1)],
      [0.7, () => this.range()],
      [1, () => ({ k: "not", e: this.condition(depth - 1) })],
      [2, () => ({ k: "logic", op: r.chance(0.5) ? "&&" : "||", l: this.bool(depth - 1), r: this.bool(depth - 1) })],
      [vars.length ? 1.5 : 0, () => ({ k: "ref", lv: { k: "var", name: r.pick(vars).name } })],
      [fields.length ? 0.7 : 0, () => ({ k: "ref", lv: r.pick(fields) })],
      [0.5, () => ({ k: "cond", c: this.condition(depth - 1), t: this.bool(depth - 1), f: this.bool(depth - 1) })],
    ])();
  }

  /** A condition: a boolean, or an integer tested for non-zero. */
  condition(depth: number): Expr {
    if (this.rng.chance(0.7)) return this.bool(depth);
    const e = this.int(depth);
    return alwaysTruthy(e) ? this.variable() : e;
  }

  private compare(depth: number): Expr {
    let l = this.int(depth);
    const r = this.int(depth);
    if (this.scope.isTsLiteral(l) && this.scope.isTsLiteral(r)) l = this.variable();
    return { k: "cmp", op: this.rng.pick(CMP_OPS), l, r };
  }

  /** `v >= 0 && v < N` (or `<= N`): bpftsc makes it one unsigned comparison. */
  private range(): Expr {
    const v = this.variable();
    const n: Expr = { k: "lit", v: BigInt(this.rng.pick([0, 1, 3, 4, 7, 100, 255, 65535])) };
    return { k: "logic", op: "&&", l: { k: "cmp", op: ">=", l: v, r: { k: "lit", v: 0n } }, r: { k: "cmp", op: this.rng.chance(0.5) ? "<" : "<=", l: v, r: n } };
  }

  private notLiteral(e: Expr): Expr {
    return this.scope.isTsLiteral(e) || alwaysTruthy(e) ? this.variable() : e;
  }

  /** A read of an integer variable that is neither a literal type nor folded. */
  variable(): Expr {
    const vars = this.scope.scalars((s) => s.type !== "bool" && !s.constant && !s.tsLiteral);
    if (vars.length === 0) throw new Error("generator: no integer variable in scope");
    return { k: "ref", lv: { k: "var", name: this.rng.pick(vars).name } };
  }

  private intLeaf(): Expr {
    const r = this.rng;
    const vars = this.scope.scalars((s) => s.type !== "bool");
    const fields = this.scope.structs().flatMap((s) => s.decl.fields.filter((f) => f.type !== "bool").map((f): LValue => ({ k: "field", base: s.name, field: f.name })));
    const arrays = this.scope.arrays();
    return r.weighted<() => Expr>([
      [3, () => ({ k: "lit", v: this.literal() })],
      [vars.length ? 5 : 0, () => ({ k: "ref", lv: { k: "var", name: r.pick(vars).name } })],
      [fields.length ? 1.5 : 0, () => ({ k: "ref", lv: r.pick(fields) })],
      [arrays.length ? 1.5 : 0, () => ({ k: "ref", lv: this.element(r.pick(arrays), false, 0) })],
    ])();
  }

  private boolFields(): LValue[] {
    return this.scope.structs().flatMap((s) => s.decl.fields.filter((f) => f.type === "bool").map((f): LValue => ({ k: "field", base: s.name, field: f.name })));
  }

  /** An element of `a`: at a constant index in range, or (runTime) at a computed one. */
  element(a: ArraySym, runTime: boolean, depth: number): LValue {
    if (!runTime) return { k: "elem", arr: a.name, index: { k: "lit", v: BigInt(this.rng.int(a.len)) } };
    const r = this.rng;
    const base = this.variable();
    let index = r.weighted<() => Expr>([
      [2, () => base],
      [3, () => ({ k: "bin", op: "&", l: base, r: { k: "lit", v: BigInt(r.pick([1, 3, 7, a.len, a.len - 1])) } })],
      [2, () => ({ k: "bin", op: "%", l: base, r: { k: "lit", v: BigInt(a.len + r.int(2)) } })],
      [2, () => this.int(depth)],
    ])();
    if (this.scope.isConstant(index)) index = { k: "bin", op: "+", l: base, r: index };
    return { k: "elem", arr: a.name, index };
  }
}
