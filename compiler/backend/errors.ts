// The one error the backend throws: a limit of the BPF machine that the program exceeds
// (stack over 512 bytes, a jump too far) or an IR shape it cannot compile.
// In: raised by any backend pass. Out: caught by the frontend, which turns `code`, `message`
// and `loc` into a diagnostic at the probe's source location.

import type { Loc } from "../ir/ir.js";

/** "stack": frame over 512 bytes; "range": a jump offset beyond s16; "ir": malformed input
 *  IR (a frontend bug); "regalloc": the allocator could not converge. */
export type BackendErrorCode = "stack" | "range" | "ir" | "regalloc";

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  readonly loc?: Loc;
  /** "stack": the bytes the frame needs, and what takes them (" (largest locals: ...)"). */
  readonly frame?: { bytes: number; detail: string };

  constructor(code: BackendErrorCode, message: string, loc?: Loc, frame?: { bytes: number; detail: string }) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    if (loc !== undefined) this.loc = loc;
    if (frame !== undefined) this.frame = frame;
  }
}
