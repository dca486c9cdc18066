// Opening a probe's perf event ahead of attaching its program, on a thread of koffi's, so
// that the kernel's waits pass while the main thread loads the object and starts the -c
// command: registering a uprobe waits for an RCU grace period (5-15 ms, more on a busy
// machine), and opening a tracepoint's event waits for the kernel's event_mutex, which
// any trace event's registration or removal on the machine holds for tens of ms. It
// opens the event as libbpf's auto-attach would (perf_event_open_probe() and
// perf_event_open_tracepoint() in libbpf.c), for every process, on CPU 0: a uprobe or
// uretprobe on the uprobe PMU with the binary's path and the function's file offset
// (plus the section's +offset); a tracepoint (`tracepoint/CAT/NAME`, `tp/CAT/NAME`) by
// the id tracefs gives it.
// In: a program's section. Out: a promise of the perf event's fd, to attach the loaded
// program to (libbpf's bpf_program__attach_perf_event); undefined when there is none,
// and attaching is left to libbpf, which reports why it fails if it does: a section of
// another kind, a uprobe's binary named without an absolute path or larger than
// MAX_BINARY_BYTES (read whole, to find the function), a function named with its version
// (`func@@LIB`), one whose defined symbols (`func`, `func@VERSION`, in .symtab and
// .dynsym) do not all give one offset, a tracepoint tracefs does not list, an
// architecture whose perf_event_open number is not here, or a failed open.

import { readFileSync, statSync } from "node:fs";
import { ElfFile } from "../compiler/debuginfo/elf-read.js";
import { parseUprobeSection } from "./attach.js";
import { native } from "./libbpf.js";

/** Binaries up to this size are read to find the function (libc is 2 MB). */
const MAX_BINARY_BYTES = 16 << 20;
const UPROBE_PMU = "/sys/bus/event_source/devices/uprobe";

const PERF_TYPE_TRACEPOINT = 2;
/** Where libbpf finds tracefs, the one it mounts first. */
const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/** The perf event of a section's probe, opening; undefined when not opened here. */
export function openProbeEvent(section: string): Promise<number | undefined> | undefined {
  const tp = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(section);
  if (tp) {
    const id = tracepointId(tp[1]!, tp[2]!);
    return id === undefined ? undefined : native().perfEventOpenAsync({ type: PERF_TYPE_TRACEPOINT, config: BigInt(id), path: null, offset: 0n });
  }
  const sec = parseUprobeSection(section);
  if (!sec || !sec.binary.startsWith("/") || sec.func.includes("@")) return undefined;
  const pmu = uprobePmu();
  const offset = pmu && funcOffset(sec.binary, sec.func);
  if (!pmu || offset === undefined) return undefined;
  const config = sec.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n;
  return native().perfEventOpenAsync({ type: pmu.type, config, path: sec.binary, offset: offset + BigInt(sec.offset) });
}

/** A tracepoint's id, as tracefs lists it (reading it waits for no lock). */
function tracepointId(category: string, name: string): number | undefined {
  for (const root of TRACEFS) {
    try {
      const id = Number(readFileSync(`${root}/events/${category}/${name}/id`, "utf8"));
      if (Number.isInteger(id)) return id;
    } catch {
      // not mounted there, or no such event
    }
  }
  return undefined;
}

let pmuRead: { type: number; retprobeBit: number } | null | undefined;

/** The uprobe PMU's type and the config bit that makes a probe a return probe. */
function uprobePmu(): { type: number; retprobeBit: number } | undefined {
  if (pmuRead === undefined) {
    try {
      const type = Number(readFileSync(`${UPROBE_PMU}/type`, "utf8"));
      const bit = /^config:(\d+)\s*$/.exec(readFileSync(`${UPROBE_PMU}/format/retprobe`, "utf8"))?.[1];
      pmuRead = Number.isInteger(type) && bit !== undefined ? { type, retprobeBit: Number(bit) } : null;
    } catch {
      pmuRead = null; // no uprobe PMU: libbpf's way (tracefs) or its error
    }
  }
  return pmuRead ?? undefined;
}

/** The binary read last, with its function names, kept for the probes after it on the
 *  same one (memleak has 24 on libc); read again if it changed (size or mtime). One only,
 *  so that a long-lived loader holds no more than that. */
interface ReadBinary { path: string; stamp: string; elf: ElfFile; functions: string[] }
let lastRead: ReadBinary | undefined;

function readBinary(binary: string): ReadBinary | undefined {
  try {
    const st = statSync(binary);
    if (st.size > MAX_BINARY_BYTES) return undefined;
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (lastRead?.path === binary && lastRead.stamp === stamp) return lastRead;
    const elf = new ElfFile(readFileSync(binary));
    lastRead = { path: binary, stamp, elf, functions: elf.functionNames() };
    return lastRead;
  } catch {
    return undefined;
  }
}

/** The file offset of `func` in the binary, when every defined symbol of that name gives
 *  the same one (a symbol's address less its section's, plus the section's offset). */
export function funcOffset(binary: string, func: string): bigint | undefined {
  const read = readBinary(binary);
  if (!read) return undefined;
  const { elf } = read;
  const offsets = new Set<bigint>();
  // `func` and the binary's function symbols named `func@VERSION` or `func@@VERSION`.
  for (const name of [func, ...read.functions.filter((n) => n.startsWith(`${func}@`))]) {
    for (const sym of elf.symbolsNamed(name)) {
      const sec = elf.sections[sym.shndx];
      if (sym.shndx === 0 || sym.shndx >= 0xff00 || !sec) continue; // undefined, absolute or common
      offsets.add(sym.value - sec.addr + BigInt(sec.offset));
    }
  }
  return offsets.size === 1 ? [...offsets][0] : undefined;
}

