// The loader's one error type: which step failed, the error number and libbpf's log.
// In: the step, a message, errno and the captured log. Out: a BpfError whose message
// ends with the log, so a verifier rejection prints the verifier's own explanation;
// `failed()` throws one for the errno the last libbpf or libc call left.

import { native } from "./libbpf.js";

export type BpfStage = "compile" | "open" | "load" | "attach" | "map" | "ringbuf" | "perfbuf";

export class BpfError extends Error {
  constructor(
    readonly stage: BpfStage,
    message: string,
    /** The positive errno (0 when none applies). */
    readonly errno = 0,
    /** What libbpf printed while the step ran (for "load": the verifier log). */
    readonly log = "",
    /** The program an attach failure concerns. */
    readonly program?: string,
  ) {
    super(log.trim() ? `${message}\n${log.trimEnd()}` : message);
    this.name = "BpfError";
  }
}

/** What an error number means for someone running a probe, by step. */
const HINTS: Record<number, string> = {
  1: "not permitted: run as root (or with CAP_BPF and CAP_PERFMON)",
  2: "no such function, binary or event",
  13: "permission denied: run as root",
  95: "this kernel cannot attach this kind of program",
};
const LOAD_HINTS: Record<number, string> = {
  13: "the verifier rejected a program; its log follows",
  22: "the kernel refused a program or map definition; libbpf's log follows",
};

/** Throws a BpfError saying `what` failed, with errno's text and a hint:
 *  "attaching ... failed: No such file or directory (errno 2: no such function, ...)". */
export function failed(stage: BpfStage, what: string, opts: { errno?: number; log?: string; program?: string; hint?: string } = {}): never {
  const n = native();
  const errno = Math.abs(opts.errno ?? n.errno());
  const hint = opts.hint ?? (stage === "load" ? LOAD_HINTS[errno] : undefined) ?? HINTS[errno];
  const reason = `${n.strerror(errno)} (errno ${errno}${hint ? `: ${hint}` : ""})`;
  throw new BpfError(stage, `${what} failed: ${reason}`, errno, opts.log, opts.program);
}
