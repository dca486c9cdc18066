// Lowers one exported program: the fetch prologue from its parameter list, then its
// handler body.
// In: a ProgramInfo from the module reader. Out: an IrFunction ready for the backend.

import ts from "typescript";
import { IrBuilder } from "../ir/builder.js";
import { cleanupFunction } from "../ir/cleanup.js";
import { shareSlots } from "../ir/share-slots.js";
import type { IrFunction } from "../ir/ir.js";
import type { FrontendContext } from "./context.js";
import { lowerExpr } from "./lower-expr.js";
import { lowerStmt } from "./lower-stmt.js";
import type { ModuleInfo, ProgramInfo } from "./module.js";
import { bindParams } from "./prologue.js";
import type { TypeResolver } from "./types.js";
import { scalar, type Lowerer } from "./values.js";

export function lowerProgram(ctx: FrontendContext, mod: ModuleInfo, types: TypeResolver, prog: ProgramInfo): IrFunction {
  const b = new IrBuilder(prog.name);
  const L: Lowerer = {
    ctx, mod, types, b,
    env: new Map(),
    space: prog.kind === "uprobe" || prog.kind === "uretprobe" || (prog.kind === "tracepoint" && prog.target[0] === "syscalls") ? "user" : "kernel",
    loops: [],
    inline: [],
    faults: new Map(),
    warned: new Set(),
  };
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
  return shareSlots(cleanupFunction(b.finish(ctx.pos(h))));
}
