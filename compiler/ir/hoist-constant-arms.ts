// A branch arm that only sets registers to constants (`c ? e : 0`, `if (c) x = e; else
// x = 1`) folded into the branch before it: the constants are set before the branch,
// which then goes straight on to where the arm went. Two arms and a jump become one arm.
// Done where the arm is reached from that one branch only, and the branch's other way
// does not read the registers before setting them itself.
// In: an IrFunction being cleaned up (cleanup.ts, on its own copy). Out: the same
// function, changed in place: such arms are unreachable (removeUnreachable drops them).

import { successors } from "./dominators.js";
import type { Block, IrFunction, VReg } from "./ir.js";
import { instDst, instUses, termUses } from "./uses.js";

export function hoistConstantArms(fn: IrFunction): void {
  const byId = new Map(fn.blocks.map((b) => [b.id, b]));
  // Edges into each block (an unreachable predecessor counts too, which only makes the
  // step skip an arm), and the last block found with an edge there.
  const preds = new Map<number, number>();
  const predOf = new Map<number, Block>();
  for (const b of fn.blocks) {
    for (const s of successors(b)) {
      preds.set(s, (preds.get(s) ?? 0) + 1);
      predOf.set(s, b);
    }
  }
  for (const arm of fn.blocks) {
    if (arm === fn.blocks[0] || arm.term.op !== "jmp" || preds.get(arm.id) !== 1) continue;
    if (arm.insts.length === 0 || !arm.insts.every((i) => i.op === "const" && !i.core)) continue;
    const from = predOf.get(arm.id)!;
    const br = from.term;
    const on = arm.term.target;
    if (br.op !== "br" || from === arm || on === arm.id) continue;
    const other = br.then === arm.id ? br.else : br.then;
    const set = arm.insts.map((i) => instDst(i)!);
    if (other === on || termUses(br).some((r) => set.includes(r))) continue;
    if (set.some((r) => liveIn(byId, other, r))) continue;
    from.insts.push(...arm.insts);
    if (br.then === arm.id) br.then = on;
    else br.else = on;
    arm.insts = [];
    // `on` has a new predecessor, which predOf does not know: not an arm to fold now.
    preds.set(on, (preds.get(on) ?? 0) + 1);
  }
}

/** Whether some path from the start of block `id` reads `reg` before writing it. */
function liveIn(byId: Map<number, Block>, id: number, reg: VReg): boolean {
  const seen = new Set<number>();
  const work = [id];
  while (work.length > 0) {
    const b = byId.get(work.pop()!)!;
    if (seen.has(b.id)) continue;
    seen.add(b.id);
    let written = false;
    for (const i of b.insts) {
      if (instUses(i).includes(reg)) return true;
      if (instDst(i) === reg) { written = true; break; }
    }
    if (written) continue;
    if (termUses(b.term).includes(reg)) return true;
    work.push(...successors(b));
  }
  return false;
}
