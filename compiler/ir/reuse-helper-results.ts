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
import { forwardFlow } from "./forward-flow.js";
import type { Block, Inst, IrFunction, VReg } from "./ir.js";
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

  const meet = (a: Last, b: Last): Last => (a && b && a.helper === b.helper && a.reg === b.reg ? a : null);
  const transfer = (last: Last, b: Block): Last => b.insts.reduce(after, last);
  const entry = forwardFlow<Last>(fn, null, transfer, meet, same)!;

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
