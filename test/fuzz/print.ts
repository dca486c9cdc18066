// Prints generated programs (ast.ts) as one bpftsc probe file. Each program's top-level
// names get the prefix `p<index>_` so that a batch of programs shares one file; its
// handler, a uprobe on the target's fz(), returns at once on calls for other programs.
// Every compound expression is parenthesized, so precedence never decides anything.

import { MAP_CAPACITY, type Expr, type GlobalDecl, type Helper, type LValue, type Program, type Stmt } from "./ast.js";
import { TARGET_FUNCTION } from "./target.js";

const HEADER = `import { uprobe, ArrayMap, HashMap, type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64, type bool, type FixedArray } from "bpftsc";\n`;

export interface PrintedBatch {
  source: string;
  /** Each program's first and last line (1-based) in the source. */
  lines: { first: number; last: number }[];
}

export function outMapName(index: number): string {
  return `p${index}_out`;
}

export function printBatch(programs: readonly Program[], target: string): PrintedBatch {
  let source = HEADER;
  const lines: PrintedBatch["lines"] = [];
  programs.forEach((p, i) => {
    const text = `\n${printProgram(p, i, target)}`;
    const first = source.split("\n").length + 1;
    source += text;
    lines.push({ first, last: source.split("\n").length - 1 });
  });
  return { source, lines };
}

/** The names a program declares at the top level (which get its prefix). */
export function topLevelNames(p: Program): Set<string> {
  return new Set([
    ...p.structs.map((s) => s.name), ...p.consts.map((c) => c.name), ...p.globals.map((g) => g.name),
    ...p.settings.map((s) => s.name), ...p.maps.map((m) => m.name), ...p.helpers.map((h) => h.name),
  ]);
}

export function printProgram(p: Program, index: number, target: string): string {
  const P = new Printer(p, index);
  const out: string[] = [`// program ${index}: seed ${p.seed}`];
  for (const s of p.structs) out.push(`interface ${P.n(s.name)} { ${s.fields.map((f) => `${f.name}: ${f.type};`).join(" ")} }`);
  for (const c of p.consts) out.push(`const ${P.n(c.name)} = ${literal(c.v)};`);
  for (const g of p.globals) out.push(P.global(g));
  for (const s of p.settings) out.push(`export const ${P.n(s.name)}: ${s.type} = ${P.value(s.type === "bool", s.init)};`);
  out.push(`const ${outMapName(index)} = new ArrayMap<u64>(${p.calls.length * Math.max(1, p.slots)});`);
  for (const m of p.maps) out.push(`const ${P.n(m.name)} = new HashMap<${m.key}, ${m.value}>(${MAP_CAPACITY});`);
  for (const h of p.helpers) out.push(P.helper(h));
  const params = ["prog: u32", "call: u32", ...p.params.map((q) => `${q.name}: ${q.type}`)].join(", ");
  out.push(`export const p${index}_run = uprobe(${JSON.stringify(target)}, "${TARGET_FUNCTION}", (${params}) => {`);
  out.push(`  if (prog !== ${index}) return;`);
  out.push(...P.stmts(p.body, 1));
  out.push("});", "");
  return out.join("\n");
}

function literal(v: bigint): string {
  const sign = v < 0n ? "-" : "";
  const m = v < 0n ? -v : v;
  return sign + (m < 1n << 32n ? m.toString() : `0x${m.toString(16)}`);
}

class Printer {
  private readonly names: Set<string>;

  constructor(private readonly p: Program, private readonly index: number) {
    this.names = topLevelNames(p);
  }

  /** A name as printed: top-level names prefixed. */
  n(name: string): string {
    return this.names.has(name) ? `p${this.index}_${name}` : name;
  }

  value(bool: boolean, v: bigint): string {
    return bool ? (v ? "true" : "false") : literal(v);
  }

  global(g: GlobalDecl): string {
    if (typeof g.type === "object") return `let ${this.n(g.name)}: FixedArray<${g.type.elem}, ${g.init.length}> = [${g.init.map(literal).join(", ")}];`;
    if (g.init[0] === 0n) return `let ${this.n(g.name)}!: ${g.type};`;
    return `let ${this.n(g.name)}: ${g.type} = ${this.value(g.type === "bool", g.init[0]!)};`;
  }

  helper(h: Helper): string {
    const params = [...(h.structParam ? [`${h.structParam.name}: ${this.n(h.structParam.struct)}`] : []), ...h.params.map((q) => `${q.name}: ${q.type}`)];
    const head = `function ${this.n(h.name)}(${params.join(", ")}): ${h.ret} {`;
    return [...(h.noinline ? ["/** @noinline */"] : []), head, ...this.stmts(h.body, 1), "}"].join("\n");
  }

  stmts(ss: readonly Stmt[], depth: number): string[] {
    return ss.flatMap((s) => this.stmt(s, depth));
  }

  private block(head: string, body: readonly Stmt[], depth: number, tail = "}"): string[] {
    const pad = "  ".repeat(depth);
    return [`${pad}${head} {`, ...this.stmts(body, depth + 1), `${pad}${tail}`];
  }

  private step(v: string, step: bigint): string {
    if (step === 1n) return `${v}++`;
    if (step === -1n) return `${v}--`;
    return step > 0n ? `${v} += ${step}` : `${v} -= ${-step}`;
  }

  private stmt(s: Stmt, depth: number): string[] {
    const pad = "  ".repeat(depth);
    const e = (x: Expr) => this.expr(x);
    switch (s.k) {
      case "let":
        return [`${pad}${s.isConst ? "const" : "let"} ${s.name}: ${s.type} = ${e(s.init)};`];
      case "struct": {
        if (!Array.isArray(s.init)) return [`${pad}const ${s.name}: ${this.n(s.struct)} = ${s.init.copyOf};`];
        const init = s.init;
        const decl = this.p.structs.find((d) => d.name === s.struct)!;
        const order = s.order ?? decl.fields.map((_, i) => i);
        return [`${pad}const ${s.name}: ${this.n(s.struct)} = { ${order.map((i) => `${decl.fields[i]!.name}: ${e(init[i]!)}`).join(", ")} };`];
      }
      case "array":
        if (s.init.length === 0) return [`${pad}let ${s.name}!: FixedArray<${s.elem}, ${s.len}>;`];
        return [`${pad}const ${s.name}: FixedArray<${s.elem}, ${s.len}> = [${s.init.map(e).join(", ")}];`];
      case "assign":
        return [`${pad}${this.lvalue(s.lv)} ${s.op} ${e(s.e)};`];
      case "incdec":
        return [`${pad}${this.lvalue(s.lv)}${s.op};`];
      case "if":
        return s.else
          ? [...this.block(`if (${e(s.c)})`, s.then, depth, "} else {"), ...this.stmts(s.else, depth + 1), `${pad}}`]
          : this.block(`if (${e(s.c)})`, s.then, depth);
      case "for": {
        const cond = `${s.v} ${s.op} ${literal(s.bound)}${s.extra ? ` && ${e(s.extra)}` : ""}`;
        return this.block(`for (let ${s.v}: ${s.type} = ${literal(s.start)}; ${cond}; ${this.step(s.v, s.step)})`, s.body, depth);
      }
      case "while": {
        const decl = `${pad}let ${s.v}: ${s.type} = ${literal(s.start)};`;
        const cond = `(${s.v} ${s.op} ${literal(s.bound)})`;
        const body = [...this.stmts(s.body, depth + 1), `${pad}  ${this.step(s.v, s.step)};`];
        return s.isDo ? [decl, `${pad}do {`, ...body, `${pad}} while ${cond};`] : [decl, `${pad}while ${cond} {`, ...body, `${pad}}`];
      }
      case "break":
      case "continue":
        return [`${pad}${s.k};`];
      case "return":
        return [`${pad}return${s.e ? ` ${e(s.e)}` : ""};`];
      case "out":
        return [`${pad}${outMapName(this.index)}.set(call * ${this.p.slots} + ${s.slot}, ${e(s.e)});`];
      case "expr":
        return [`${pad}${e(s.e)};`];
      case "mapset":
      case "mapadd":
        return [`${pad}${this.n(s.map)}.${s.k === "mapset" ? "set" : "add"}(${e(s.key)}, ${e(s.value)});`];
      case "mapdel":
        return [`${pad}${this.n(s.map)}.delete(${e(s.key)});`];
    }
  }

  lvalue(lv: LValue): string {
    switch (lv.k) {
      case "var":
        return this.n(lv.name);
      case "field":
        return `${lv.base}.${lv.field}`;
      case "elem":
        return `${this.n(lv.arr)}[${this.expr(lv.index)}]`;
    }
  }

  expr(x: Expr): string {
    switch (x.k) {
      case "lit":
        return literal(x.v);
      case "bool":
        return String(x.v);
      case "ref":
        return this.lvalue(x.lv);
      case "bin":
      case "cmp":
      case "logic":
        return `(${this.expr(x.l)} ${x.op} ${this.expr(x.r)})`;
      case "neg":
        return `(-${this.expr(x.e)})`;
      case "inv":
        return `(~${this.expr(x.e)})`;
      case "not":
        return `(!${this.expr(x.e)})`;
      case "cond":
        return `(${this.expr(x.c)} ? ${this.expr(x.t)} : ${this.expr(x.f)})`;
      case "cast":
        return `(${this.expr(x.e)} as ${x.to})`;
      case "call":
        return `${this.n(x.fn)}(${[...(x.struct ? [x.struct] : []), ...x.args.map((a) => this.expr(a))].join(", ")})`;
      case "mapget":
        return `(${this.n(x.map)}.get(${this.expr(x.key)}) ?? ${this.expr(x.fallback)})`;
    }
  }
}
