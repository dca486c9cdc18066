// libbpf's naming of an object's parts: the section a program goes in, from which
// bpf_program__attach() derives how to attach it, and what its context argument is.
// In: a ProbePoint. Out: the section name ("kprobe/vfs_write", "uprobe/<bin>:<sym>",
// "tracepoint/<cat>/<event>", ...) and the program's context kind for its BTF prototype.

import type { ProbePoint } from "./model.js";

/** Subprograms live here; libbpf appends the ones a program calls to it at load. */
export const TEXT_SECTION = ".text";

export function sectionName(p: ProbePoint): string {
  switch (p.kind) {
    case "kprobe": case "kretprobe": case "fentry": case "fexit": return `${p.kind}/${p.fn}`;
    case "uprobe": case "uretprobe": return `${p.kind}/${p.binary}:${p.symbol}`;
    case "tracepoint": return `tracepoint/${p.category}/${p.event}`;
    case "tp_btf": case "raw_tp": return `${p.kind}/${p.event}`;
  }
}

/** What a program's BTF prototype says its context argument is: `struct pt_regs *`,
 *  `void *` (a tracepoint record) or `unsigned long long *` (trampoline arguments). */
export type ContextKind = "pt_regs" | "void" | "u64_array";

export function contextKind(p: ProbePoint): ContextKind {
  switch (p.kind) {
    case "kprobe": case "kretprobe": case "uprobe": case "uretprobe": return "pt_regs";
    case "tracepoint": return "void";
    case "fentry": case "fexit": case "tp_btf": case "raw_tp": return "u64_array";
  }
}
