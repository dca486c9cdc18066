// What a run prints at its end: every map (ring and perf buffers and maps of fds aside)
// and every setting and global, read once into plain values.
// In: a loaded BpfObject and, for stack trace maps, a Symbolizer (default: one for the
// object's uprobe binaries). Out: MapSnapshots, in the object's order, with the entries in
// the kernel's order (array maps: every index), per-CPU values both per CPU and summed,
// a stack's frames with their symbols; GlobalSnapshots, settings (.rodata) first as
// libbpf lists the sections.

import type { Value } from "./btf-codec.js";
import { CgroupMap } from "./cgroups.js";
import { PerCpuMap, sumCpus, type BpfMap } from "./maps.js";
import type { BpfObject } from "./object.js";
import { RecordStream } from "./record-stream.js";
import { StackMap } from "./stacks.js";
import { Symbolizer, probedBinaries, type Frame } from "./symbolize.js";

export interface MapEntry {
  key: Value;
  /** The value; for a per-CPU map, the CPUs' values added up; for a stack trace map,
   *  the stack's addresses. */
  value: Value;
  /** A per-CPU map's values, one per possible CPU. */
  perCpu?: Value[];
  /** A stack trace map's stack, innermost frame first, with the symbols known. */
  frames?: Frame[];
}

export interface MapSnapshot {
  name: string;
  /** An array map: the keys are the indexes 0..maxEntries-1, all of them present. */
  array: boolean;
  perCpu: boolean;
  /** A stack trace map: keys are stack ids, entries have frames. */
  stacks?: boolean;
  /** The map's BTF decl tags (LOG2_HIST_TAG: a Log2Hist). */
  tags: readonly string[];
  entries: MapEntry[];
}

export interface GlobalSnapshot {
  name: string;
  /** ".rodata" for a load-time setting; ".data" or ".bss" for a global. */
  section: string;
  value: Value;
}

export function snapshotMaps(obj: BpfObject, symbols = new Symbolizer(probedBinaries(obj.programs))): MapSnapshot[] {
  const out: MapSnapshot[] = [];
  for (const map of Object.values(obj.maps)) {
    if (map instanceof RecordStream || map instanceof CgroupMap || map.holdsFds) continue;
    const base = { name: map.name, array: map.isArray, perCpu: map instanceof PerCpuMap, stacks: map instanceof StackMap, tags: map.tags };
    if (map instanceof StackMap) {
      const stacks = [...map.entries()];
      const frames = symbols.frames(stacks.map(([, s]) => s));
      out.push({ ...base, entries: stacks.map(([key, value], i) => ({ key, value, frames: frames[i]! })) });
      continue;
    }
    const entries: MapEntry[] = map instanceof PerCpuMap
      ? [...map.entries()].map(([key, perCpu]) => ({ key, value: sumCpus(perCpu), perCpu }))
      : [...(map as BpfMap).entries()].map(([key, value]) => ({ key, value }));
    out.push({ ...base, entries });
  }
  return out;
}

export function snapshotGlobals(obj: BpfObject): GlobalSnapshot[] {
  return obj.globals.list().map(({ name, section }) => ({ name, section, value: obj.globals.get(name) as Value }));
}
