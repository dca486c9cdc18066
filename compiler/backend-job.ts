// One function's way from lowered IR to machine code: IR clean-up, then the backend.
// Plain data in and out, so that it runs alike on the compiling thread and on the backend
// worker (backend-pool.ts), which gets the job by structured clone.
// In: the lowered IR, the CPU version, whether the cleaned IR is wanted as text.
// Out: the machine code (and IR text), or what the backend refused and where, or what
// went wrong that no diagnostic covers (rethrown by the compile that asked).

import { BackendError, compileFunction, type BackendErrorCode, type MachineCode } from "./backend/index.js";
import type { CpuVersion } from "./bpf/cpu.js";
import { cleanupFunction } from "./ir/cleanup.js";
import type { IrFunction, Loc } from "./ir/ir.js";
import { printFunction } from "./ir/print.js";

export interface BackendJob {
  ir: IrFunction;
  cpu: CpuVersion;
  dumpIr: boolean;
}

export type BackendOutcome =
  | { kind: "code"; code: MachineCode; ir?: string }
  /** A limit the program exceeds; `at` is where to point (the largest stack object when
   *  the frame is too large, else the backend's location). */
  | { kind: "refused"; code: BackendErrorCode; message: string; frame?: { bytes: number; detail: string }; at?: Loc; ir?: string }
  /** Anything else thrown (a compiler bug, or a stack that ran out). */
  | { kind: "thrown"; name: string; message: string; stack?: string };

export function runBackendJob(job: BackendJob): BackendOutcome {
  try {
    const ir = cleanupFunction(job.ir);
    const text = job.dumpIr ? printFunction(ir) : undefined;
    try {
      const code = compileFunction(ir, { cpu: job.cpu });
      return text === undefined ? { kind: "code", code } : { kind: "code", code, ir: text };
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      const largest = e.frame ? ir.slots.filter((s) => s.loc).sort((a, b) => b.size - a.size)[0]?.loc : undefined;
      const at = largest ?? e.loc;
      return {
        kind: "refused", code: e.code, message: e.message,
        ...(e.frame ? { frame: e.frame } : {}), ...(at ? { at } : {}), ...(text === undefined ? {} : { ir: text }),
      };
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { kind: "thrown", name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  }
}

/** The error of a "thrown" outcome, as it was thrown (a RangeError stays one, so that a
 *  stack that ran out is still reported as such). */
export function rethrown(o: Extract<BackendOutcome, { kind: "thrown" }>): Error {
  const e = o.name === "RangeError" ? new RangeError(o.message) : new Error(o.message);
  if (o.name !== "RangeError" && o.name !== "Error") e.name = o.name;
  if (o.stack !== undefined) e.stack = o.stack;
  return e;
}
