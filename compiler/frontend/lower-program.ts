// Lowers one exported program (the fetch prologue from its parameter list, then its
// handler body) or one subprogram (a function of the file called, not inlined).
// In: a ProgramInfo from the module reader, or a FunctionInfo and the memory space its
// Ptr values point into. Out: its IrFunction, as lowered (compile.ts cleans it up), and
// the verifier's work on it (checked when every function is lowered).

import ts from "typescript";
import { IrBuilder } from "../ir/builder.js";
import type { IrFunction } from "../ir/ir.js";
import type { FrontendContext } from "./context.js";
import { forgetCarriedValues } from "./forget-carried.js";
import { signatureOf, type Signature } from "./function-calls.js";
import type { FunctionInfo } from "./functions.js";
import { lowerExpr } from "./lower-expr.js";
import { lowerStmt } from "./lower-stmt.js";
import type { ModuleInfo, ProgramInfo } from "./module.js";
import { bindParams } from "./prologue.js";
import type { TypeResolver } from "./types.js";
import { checkReservations } from "./reservations.js";
import { summarizeWork, type FunctionWork } from "./verifier-work.js";
import { scalar, type FunctionKind, type Lowerer, type StaticStrings, type SubprogramCalls } from "./values.js";

/** The memory a program's Ptr values point into: user memory for uprobes and syscall
 *  tracepoints (whose pointer arguments are the caller's), kernel memory otherwise. */
export function programSpace(prog: ProgramInfo): "user" | "kernel" {
  const p = prog.point;
  return p.kind === "uprobe" || p.kind === "uretprobe" || (p.kind === "tracepoint" && p.category === "syscalls") ? "user" : "kernel";
}

function lowerer(ctx: FrontendContext, mod: ModuleInfo, types: TypeResolver, subprograms: SubprogramCalls, strings: StaticStrings, b: IrBuilder, fn: FunctionKind, space: "user" | "kernel"): Lowerer {
  return { ctx, mod, types, b, fn, subprograms, strings, env: new Map(), space, loops: [], loopRegions: [], inline: [], faults: new Map(), warned: new Set(), reservations: new Map() };
}

export function lowerProgram(ctx: FrontendContext, mod: ModuleInfo, types: TypeResolver, subprograms: SubprogramCalls, strings: StaticStrings, prog: ProgramInfo): { ir: IrFunction; work: FunctionWork } {
  const b = new IrBuilder(prog.name, 1);
  const L = lowerer(ctx, mod, types, subprograms, strings, b, { kind: "program", ctx: b.params[0]! }, programSpace(prog));
  const h = prog.handler;
  if (h.typeParameters?.length) ctx.fail("unsupportedSyntax", h, "A generic handler");
  if (h.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) ctx.fail("unsupportedSyntax", h, "An async handler");
  b.loc = ctx.pos(h);
  bindParams(L, prog);
  if (ts.isBlock(h.body)) {
    lowerStmt(L, h.body);
  } else {
    // An expression body is the program's return value, as in `return <expr>;`
    // (a call that returns nothing returns 0).
    const v = scalar(L, lowerExpr(L, h.body));
    if (v.kind === "const") b.terminate({ op: "ret", value: { imm: BigInt.asIntN(64, v.value) } });
    else if (v.kind === "int") b.terminate({ op: "ret", value: v.reg });
    else if (v.kind !== "void") ctx.fail("unsupportedSyntax", h.body, "Returning anything but an integer from a program");
  }
  b.loc = ctx.pos(h.body.getLastToken(ctx.sf) ?? h.body);
  b.terminate({ op: "ret", value: { imm: 0n } });
  const ir = b.finish(ctx.pos(h));
  checkReservations(ctx, ir, L.reservations, "program");
  forgetCarriedValues(ir, L.loopRegions, settings(mod), false);
  return { ir, work: summarizeWork(ir, L.loopRegions) };
}

/** A subprogram's IR, the signature its BTF prototype describes, and its verifier work. */
export function lowerSubprogram(ctx: FrontendContext, mod: ModuleInfo, types: TypeResolver, subprograms: SubprogramCalls, strings: StaticStrings, fn: FunctionInfo, symbol: string, space: "user" | "kernel"): { ir: IrFunction; sig: Signature; work: FunctionWork } {
  const decl = fn.decl;
  const sig = signatureOf(ctx, types, decl);
  const b = new IrBuilder(symbol, sig.params.length);
  const L = lowerer(ctx, mod, types, subprograms, strings, b, { kind: "subprogram", ret: sig.ret }, space);
  b.loc = ctx.pos(decl);
  sig.params.forEach((p, i) => {
    const reg = b.params[i]!;
    // A struct arrives by reference: a pointer to the caller's stack or to a map value.
    L.env.set(p.symbol, p.type.kind === "int" || p.type.kind === "ptr" ? { kind: "reg", reg, type: p.type } : { kind: "mem", type: p.type, base: { reg }, off: 0 });
  });
  lowerStmt(L, decl.body!);
  b.loc = ctx.pos(decl.body!.getLastToken(ctx.sf) ?? decl.body!);
  b.terminate({ op: "ret", value: { imm: 0n } });
  const ir = b.finish(ctx.pos(decl));
  checkReservations(ctx, ir, L.reservations, "function");
  forgetCarriedValues(ir, L.loopRegions, settings(mod), true);
  return { ir, sig, work: summarizeWork(ir, L.loopRegions) };
}

/** The symbols of the load-time settings: read-only data, which the verifier reads as
 *  constants. */
function settings(mod: ModuleInfo): Set<string> {
  return new Set([...mod.globals.values()].filter((g) => g.section === ".rodata").map((g) => g.name));
}
