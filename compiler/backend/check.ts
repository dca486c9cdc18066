// Invariants of machine IR, checked between passes (QBE-style): a broken invariant is a
// compiler bug, reported as a BackendError with code "ir" naming the pass before it.
// In: an MFunction and whether registers must all be physical by now. Out: nothing, or a throw.

import { BackendError } from "./errors.js";
import {
  ARG_REGS, FP, instDefs, instUses, isPhys, printInst, successors, termUses, type MFunction,
} from "./mir.js";

export function checkMFunction(fn: MFunction, after: string, allocated: boolean): void {
  const fail = (msg: string): never => {
    throw new BackendError("ir", `${fn.name}: after ${after}: ${msg}`, fn.loc);
  };
  const ids = new Set<number>();
  for (const b of fn.blocks) {
    if (ids.has(b.id)) fail(`block @${b.id} appears twice`);
    ids.add(b.id);
  }
  const slots = new Set(fn.slots.map((s) => s.id));
  // A virtual register read must be written somewhere (a pass that leaves a definition out
  // must leave its readers reading what replaces it).
  const written = new Uint8Array(fn.nextReg);
  for (const b of fn.blocks) for (const i of b.insts) for (const r of instDefs(i)) written[r] = 1;
  const unwritten = (regs: readonly number[]) => regs.find((r) => !isPhys(r) && written[r] !== 1);
  const outsideArgs = (m: { dst: number }): boolean => !ARG_REGS.includes(m.dst);
  const entry = fn.blocks[0]?.id;
  for (const b of fn.blocks) {
    for (const s of successors(b.term)) {
      if (!ids.has(s)) fail(`block @${b.id} jumps to missing @${s}`);
      if (s === entry) fail(`block @${b.id} jumps to the entry block`);
    }
    for (const i of b.insts) {
      const uses = instUses(i), defs = instDefs(i);
      for (const r of defs) {
        if (r === FP) fail(`writes r10: ${printInst(i)}`);
        if (allocated && !isPhys(r)) fail(`virtual register left: ${printInst(i)}`);
        if (r >= fn.nextReg) fail(`register beyond nextReg: ${printInst(i)}`);
      }
      for (const r of uses) {
        if (allocated && !isPhys(r)) fail(`virtual register left: ${printInst(i)}`);
        if (r >= fn.nextReg) fail(`register beyond nextReg: ${printInst(i)}`);
        if (!isPhys(r) && written[r] !== 1) fail(`reads a register nothing writes: ${printInst(i)}`);
      }
      if (i.k === "args" && (i.moves.some(outsideArgs) || i.imms.some(outsideArgs))) fail(`argument outside r1-r5: ${printInst(i)}`);
      if ((i.k === "addr" && !slots.has(i.slot)) || ((i.k === "ldx" || i.k === "stx" || i.k === "st") && "slot" in i.mem && !slots.has(i.mem.slot))) {
        fail(`undeclared stack slot: ${printInst(i)}`);
      }
    }
    if (allocated && termUses(b.term).some((r) => !isPhys(r))) fail(`virtual register left in the terminator of @${b.id}`);
    if (unwritten(termUses(b.term)) !== undefined) fail(`the terminator of @${b.id} reads a register nothing writes`);
  }
}
