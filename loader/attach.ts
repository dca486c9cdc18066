// Attaching one program: libbpf's auto-attach from the section name, or, for a uprobe, a
// target chosen at run time (another binary, one process, another function).
// In: the program's libbpf handle, name and section, and the optional uprobe target or
// perf event opened for it ahead.
// Out: the bpf_link handle, or a BpfError naming the program and the kernel's reason.

import { closeSync, existsSync } from "node:fs";
import { BpfError, failed } from "./errors.js";
import { captureLog, native, type Handle } from "./libbpf.js";

/** Where a uprobe attaches instead of the place its section names. */
export interface UprobeTarget {
  /** The binary or shared library (default: the section's). */
  binary?: string;
  /** Only this process (default: every process running the binary). */
  pid?: number;
  /** The function (default: the section's); with `offset`, bytes into it. */
  func?: string;
  offset?: number;
}

interface UprobeSection { retprobe: boolean; binary: string; func: string; offset: number }

/** `uprobe/<binary>:<symbol>[+<offset>]` and `uretprobe/...` (also libbpf's sleepable `.s`). */
export function parseUprobeSection(section: string): UprobeSection | undefined {
  const m = /^(uprobe|uretprobe)(?:\.s)?\/(.+):([^:]+)$/.exec(section);
  if (!m) return undefined;
  const [, kind, binary, spec] = m as unknown as [string, string, string, string];
  const plus = /^(.*)\+(0x[0-9a-fA-F]+|\d+)$/.exec(spec);
  return { retprobe: kind === "uretprobe", binary, func: plus ? plus[1]! : spec, offset: plus ? Number(plus[2]) : 0 };
}

/** Attaches a loaded program: to `target` (a uprobe's), to the perf event `perfFd` opened
 *  for it ahead (probe-events.ts; closed here if that fails, and the program attached
 *  libbpf's way instead), or where its section says. */
export function attachProgram(prog: Handle, name: string, section: string, target?: UprobeTarget, perfFd?: number): Handle {
  const n = native();
  const what = `attaching program '${name}' (${section})`;
  let run: () => Handle | null;
  if (perfFd !== undefined) {
    run = () => {
      const link = n.attachPerfEvent(prog, perfFd);
      if (link !== null) return link;
      closeSync(perfFd);
      return n.attach(prog);
    };
  } else if (target) {
    const sec = parseUprobeSection(section);
    if (!sec) throw new BpfError("attach", `${what}: a binary, pid or function can be given to uprobes and uretprobes only`, 0, "", name);
    run = () => n.attachUprobe(prog, {
      pid: target.pid ?? -1,
      binary: target.binary ?? sec.binary,
      func: target.func ?? sec.func,
      offset: target.offset ?? (target.func === undefined ? sec.offset : 0),
      retprobe: sec.retprobe,
    });
  } else {
    run = () => n.attach(prog);
  }
  const { result, log } = captureLog(run);
  return result ?? failed("attach", what, { log, program: name, hint: kprobeHint(section) });
}

/** A kprobe on a kernel without kprobes fails with a plain ENOENT: say why. */
function kprobeHint(section: string): string | undefined {
  if (!/^k(ret)?probe[./]/.test(section) || existsSync("/sys/bus/event_source/devices/kprobe")) return undefined;
  return "this kernel cannot attach kprobes (no kprobe event source: CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is off)";
}
