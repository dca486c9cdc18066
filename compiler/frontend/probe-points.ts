// Checks at compile time that a program's probe point exists, so that a typo is a located
// error listing the names that do exist, not a failure at attach time:
//   kprobe/kretprobe/fentry/fexit: the kernel function is in the kernel's BTF (a kprobe
//     may also name a function only /proc/kallsyms has, when compiling for this kernel;
//     compiling for another kernel's BTF, such a name is a warning);
//   tracepoint: the event's format is in tracefs (or, without tracefs, its record or its
//     syscall is in BTF);
//   uprobe/uretprobe: the binary exists, is an ELF file of the target's architecture, and
//     has the symbol;
//   tp_btf/raw_tp: BTF describes the tracepoint's arguments (btf_trace_<event>).
// In: a ProbePoint and the nodes of its name arguments. Out: nothing, a warning when the
// point cannot be checked (no kernel BTF), or a diagnostic.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type ts from "typescript";
import type { ElfFile } from "../debuginfo/elf-read.js";
import type { ProbePoint } from "../object/model.js";
import { targetOfMachine } from "../target/index.js";
import type { FrontendContext } from "./context.js";
import { DEFAULT_BTF } from "./kernel.js";
import { formatPath, tracefsRoots } from "./tracefs.js";

export function checkProbePoint(ctx: FrontendContext, point: ProbePoint, nodes: ts.Node[]): void {
  switch (point.kind) {
    case "kprobe": case "kretprobe": case "fentry": case "fexit":
      return checkKernelFunction(ctx, point.kind, point.fn.replace(/\+.*$/, ""), nodes[0]!);
    case "tracepoint":
      return checkTracepoint(ctx, point.category, point.event, nodes);
    case "uprobe": case "uretprobe":
      return checkUserSymbol(ctx, point.binary, point.symbol.replace(/\+.*$/, ""), nodes);
    case "tp_btf": case "raw_tp":
      return checkBtfTracepoint(ctx, point.event, nodes[0]!);
  }
}

/** A raw tracepoint exists when BTF describes its arguments (btf_trace_<event>). */
function checkBtfTracepoint(ctx: FrontendContext, event: string, node: ts.Node): void {
  if (!ctx.kernel.available) {
    ctx.warn("fetchSpec", node, `No kernel BTF (${ctx.kernel.path}) to check that tracepoint '${event}' exists.`);
    return;
  }
  if (ctx.kernel.tracepointPrototype(event, node)) return;
  const events = [...ctx.kernel.typedefNames(node)].filter((n) => n.startsWith("btf_trace_")).map((n) => n.slice("btf_trace_".length));
  ctx.fail("unknownProbePoint", node, `tracepoint '${event}'`, `the kernel's BTF (${ctx.kernel.path}: no btf_trace_${event})`, similar(event, events));
}

function checkKernelFunction(ctx: FrontendContext, kind: string, fn: string, node: ts.Node): void {
  if (!ctx.kernel.available) {
    ctx.warn("fetchSpec", node, `No kernel BTF (${ctx.kernel.path}) to check that kernel function '${fn}' exists.`);
    return;
  }
  if (ctx.kernel.hasFunction(fn, node)) return;
  const names = ctx.kernel.functionNames(node);
  // kprobes attach to any kernel text symbol; BTF lacks a few (assembly, argument-less
  // syscalls, some static functions). This kernel's /proc/kallsyms says; another's cannot
  // be read from here.
  if (kind === "kprobe" || kind === "kretprobe") {
    if (ctx.kernel.path === DEFAULT_BTF && kallsymsText().has(fn)) {
      ctx.inputs.add(KALLSYMS);
      return;
    }
    if (ctx.kernel.path !== DEFAULT_BTF) {
      ctx.warn("fetchSpec", node, `Kernel function '${fn}' is not in the kernel's BTF (${ctx.kernel.path}); a kprobe attaches to it only if that kernel has it (its /proc/kallsyms).${similar(fn, names)}`);
      return;
    }
  }
  ctx.fail("unknownProbePoint", node, `kernel function '${fn}'`, `the kernel's BTF (${ctx.kernel.path})`, similar(fn, names));
}

function checkTracepoint(ctx: FrontendContext, category: string, event: string, nodes: ts.Node[]): void {
  const format = formatPath(category, event);
  if (format) {
    ctx.inputs.add(resolve(format));
    return;
  }
  const events = tracefsRoots().map((r) => join(r, "events")).find((d) => existsSync(d));
  if (events) {
    const dir = join(events, category);
    if (!existsSync(dir)) ctx.fail("unknownProbePoint", nodes[0]!, `tracepoint category '${category}'`, events, similar(category, readdirSync(events)));
    const list = readdirSync(dir).filter((e) => existsSync(join(dir, e, "format")));
    ctx.fail("unknownProbePoint", nodes[1]!, `tracepoint '${category}/${event}'`, dir, similar(event, list));
  }
  // No tracefs: the event's record, or for a syscall event its syscall, must be in BTF.
  if (ctx.kernel.available) {
    if (ctx.kernel.tracepointRecord(event, nodes[1]!)) return;
    const sys = /^sys_(?:enter|exit)_(.+)$/.exec(event);
    if (category === "syscalls" && sys && ctx.kernel.hasFunction(ctx.target.syscalls.prefix + sys[1], nodes[1]!)) return;
  }
  ctx.fail("unknownProbePoint", nodes[1]!, `tracepoint '${category}/${event}'`, "tracefs (not mounted: mount -t tracefs nodev /sys/kernel/tracing) or the kernel's BTF", "");
}

/** A uprobe's binary exists and is an ELF file of the target's architecture. */
export function checkUserBinary(ctx: FrontendContext, binary: string, node: ts.Node): ElfFile {
  if (!existsSync(binary)) ctx.fail("fetchSpec", node, `${binary} does not exist; a uprobe attaches to an ELF binary or shared library by its path.`);
  const elf = ctx.user.elf(binary) ?? ctx.fail("fetchSpec", node, `${binary} is not an ELF binary (a uprobe attaches to an executable or a shared library).`);
  if (elf.machine !== ctx.target.elfMachine) {
    const arch = targetOfMachine(elf.machine)?.name ?? `ELF machine ${elf.machine}`;
    ctx.fail("fetchSpec", node, `${binary} is an ${arch} binary, but this compile is for ${ctx.target.name} (the arch option).`);
  }
  return elf;
}

function checkUserSymbol(ctx: FrontendContext, binary: string, symbol: string, nodes: ts.Node[]): void {
  const elf = checkUserBinary(ctx, binary, nodes[0]!);
  if (elf.symbolsNamed(symbol).some((s) => s.shndx !== 0)) return;
  ctx.fail("unknownProbePoint", nodes[1]!, `symbol '${symbol}'`, binary, similar(symbol, elf.functionNames()));
}

/** This kernel's text symbols (the names a kprobe can attach to), read when BTF lacks a
 *  name (modules loaded later add to them, so they are read each time). */
const KALLSYMS = "/proc/kallsyms";

function kallsymsText(): Set<string> {
  const names = new Set<string>();
  try {
    for (const line of readFileSync(KALLSYMS, "utf8").split("\n")) {
      const [, type, name] = line.split(/\s+/);
      if ((type === "t" || type === "T") && name) names.add(name);
    }
  } catch {
    // No /proc here: only BTF decides.
  }
  return names;
}

/** " Similar names: a, b, c." for the names closest to `name` (empty when none is close). */
function similar(name: string, names: Iterable<string>): string {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: [number, string][] = [];
  for (const n of names) {
    const d = n.includes(name) || name.includes(n) ? Math.abs(n.length - name.length) / 8 : distance(name, n, limit);
    if (d <= limit) scored.push([d, n]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].length - b[1].length || (a[1] < b[1] ? -1 : 1));
  const best = scored.slice(0, 6).map(([, n]) => n);
  return best.length > 0 ? ` Similar names: ${best.join(", ")}.` : "";
}

/** Levenshtein distance, or limit + 1 once it is known to exceed `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]!);
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
