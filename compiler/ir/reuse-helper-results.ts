// Calls of helpers whose result is fixed for one run of a program (RUN_INVARIANT_HELPERS:
// pid()/tid() both call bpf_get_current_pid_tgid, uid()/gid() bpf_get_current_uid_gid,
// and currentTask(), cgroupId(), cpu()) made once where that costs no register: a call
// reuses the result of an earlier call of the same helper when that call is the last
// call on every path to it. No call in between means the result is still in a
// caller-saved register (a call clobbers R0..R5; keeping it across one would take one of
// R6..R9 and a move, which saves nothing).
// In: an IrFunction being cleaned up (cleanup.ts, on its own copy). Out: the same
// function, changed in place: `%b = call h()` becomes `%b = %a`, the earlier call's result
// (or goes, when nothing reads its result).

import { RUN_INVARIANT_HELPERS } from "../helpers.js";
import { successors } from "./dominators.js";
import type { Inst, IrFunction, VReg } from "./ir.js";
import { writeCounts } from "./uses.js";

/** The last call on every path here: a run-invariant helper and the register holding
 *  its result; null when it is another call, or paths disagree. */
type Last = { helper: number; reg: VReg } | null;

export function reuseHelperResults(fn: IrFunction): void {
  const defs = writeCounts(fn);
  // A result reused later must hold that value wherever it is read: defined once.
  const reusable = (i: Inst): i is Extract<Inst, { op: "call"; helper: number }> =>
    i.op === "call" && "helper" in i && RUN_INVARIANT_HELPERS.has(i.helper) && i.args.length === 0;
  const after = (last: Last, i: Inst): Last => {
    if (i.op !== "call") return last;
    if (reusable(i) && last?.helper === i.helper) return last;
    return reusable(i) && i.dst !== undefined && defs.get(i.dst) === 1 ? { helper: i.helper, reg: i.dst } : null;
  };

  // Forward data flow to a fixed point; undefined: not reached yet.
  const index = new Map(fn.blocks.map((b, n) => [b.id, n]));
  const entry: (Last | undefined)[] = fn.blocks.map((_, n) => (n === 0 ? null : undefined));
  const meet = (a: Last | undefined, b: Last): Last => (a === undefined ? b : a && b && a.helper === b.helper && a.reg === b.reg ? a : null);
  const work = [0];
  const queued = new Set(work);
  while (work.length > 0) {
    const n = work.pop()!;
    queued.delete(n);
    let last: Last = entry[n]!;
    for (const i of fn.blocks[n]!.insts) last = after(last, i);
    for (const s of successors(fn.blocks[n]!).map((id) => index.get(id)!)) {
      const met = meet(entry[s], last);
      if (entry[s] !== undefined && same(entry[s]!, met)) continue;
      entry[s] = met;
      if (!queued.has(s)) { queued.add(s); work.push(s); }
    }
  }

  fn.blocks.forEach((b, n) => {
    let last = entry[n] ?? null;
    b.insts = b.insts.flatMap((i): Inst[] => {
      const reuse = reusable(i) && last?.helper === i.helper ? last.reg : undefined;
      last = after(last, i);
      if (reuse === undefined || i.op !== "call") return [i];
      return i.dst === undefined ? [] : [{ op: "mov", dst: i.dst, src: reuse, ...(i.loc ? { loc: i.loc } : {}) }];
    });
  });
}

function same(a: Last, b: Last): boolean {
  return a === b || (a !== null && b !== null && a.helper === b.helper && a.reg === b.reg);
}
