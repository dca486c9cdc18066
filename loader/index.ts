// The importable loader API: `import { open } from "bpftsc/loader"`.
// In: a probe .ts, a BPF object file or its bytes. Out: a loaded, attached object whose
// maps, ring and perf buffers and globals are typed from the probe's own declarations;
// snapshots of its maps and globals (stack traces symbolized), and printers of them as
// `bpftsc run` prints (text, JSON).

export { open, BpfObject, type AnyMap, type HandleOf, type MapsOf, type OpenOptions, type ProgramInfo } from "./object.js";
export { BpfMap, PerCpuMap, sumCpus, type UpdateFlag } from "./maps.js";
export { RingBuffer } from "./ringbuf.js";
export { PerfBuffer } from "./perfbuf.js";
export { StackMap } from "./stacks.js";
export { CgroupMap } from "./cgroups.js";
export { Symbolizer, probedBinaries, type Frame } from "./symbolize.js";
export { Globals } from "./globals.js";
export { BpfError, type BpfStage } from "./errors.js";
export { EncodeError, type Value } from "./btf-codec.js";
export type { UprobeTarget } from "./attach.js";
export type { Decoded, Input, MapName, ProgramName, GlobalName } from "./types.js";
export { snapshotGlobals, snapshotMaps, type GlobalSnapshot, type MapEntry, type MapSnapshot } from "./snapshot.js";
export type { Printer } from "./printer.js";
export { textPrinter } from "./print-text.js";
export { jsonPrinter } from "./print-json.js";
export { drawLinearHist, drawLog2Hist } from "./hist.js";
