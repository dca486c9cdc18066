// `bpftsc run --cgroup PATH`: puts the cgroup v2 directory at index 0 of every CgroupArray
// the probe declares, so `currentTaskUnder(0)` tests for tasks in that cgroup or below it.
// In: the loaded object's maps and the path. Out: nothing, or the reason it is bad usage:
// the probe has no CgroupArray, or the path is not a cgroup v2 directory.

import { BpfError, CgroupMap, type AnyMap } from "../loader/index.js";

export function applyCgroup(maps: { readonly [name: string]: AnyMap }, path: string): string | undefined {
  const arrays = Object.values(maps).filter((m): m is CgroupMap => m instanceof CgroupMap);
  if (arrays.length === 0) return `--cgroup ${path}: the probe declares no CgroupArray to put it in`;
  try {
    for (const m of arrays) m.set(0, path);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return `--cgroup ${path}: ${e.message}`;
  }
  return undefined;
}
