// What a run prints at its end: every map (ring buffers aside) and every setting and
// global, read once into plain values.
// In: a loaded BpfObject. Out: MapSnapshots, in the object's order, with the entries in
// the kernel's order (array maps: every index), per-CPU values both per CPU and summed;
// GlobalSnapshots, settings (.rodata) first as libbpf lists the sections.

import type { Value } from "./btf-codec.js";
import { PerCpuMap, sumCpus, type BpfMap } from "./maps.js";
import type { BpfObject } from "./object.js";
import { RingBuffer } from "./ringbuf.js";

export interface MapEntry {
  key: Value;
  /** The value; for a per-CPU map, the CPUs' values added up. */
  value: Value;
  /** A per-CPU map's values, one per possible CPU. */
  perCpu?: Value[];
}

export interface MapSnapshot {
  name: string;
  /** An array map: the keys are the indexes 0..maxEntries-1, all of them present. */
  array: boolean;
  perCpu: boolean;
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

export function snapshotMaps(obj: BpfObject): MapSnapshot[] {
  const out: MapSnapshot[] = [];
  for (const map of Object.values(obj.maps)) {
    if (map instanceof RingBuffer) continue;
    const entries: MapEntry[] = map instanceof PerCpuMap
      ? [...map.entries()].map(([key, perCpu]) => ({ key, value: sumCpus(perCpu), perCpu }))
      : [...(map as BpfMap).entries()].map(([key, value]) => ({ key, value }));
    out.push({ name: map.name, array: map.isArray, perCpu: map instanceof PerCpuMap, tags: map.tags, entries });
  }
  return out;
}

export function snapshotGlobals(obj: BpfObject): GlobalSnapshot[] {
  return obj.globals.list().map(({ name, section }) => ({ name, section, value: obj.globals.get(name) as Value }));
}
