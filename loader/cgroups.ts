// A BPF_MAP_TYPE_CGROUP_ARRAY map (a probe's CgroupArray) from user space: the cgroups a
// probe's currentTaskUnder(index) tests against. In: a MapSource. Out: a CgroupMap:
// set(index, path) opens the cgroup v2 directory and puts its fd at the index, as
// libbpf-tools do for `--cgroup PATH` (the map keeps a reference to the cgroup, so the
// fd is closed again); delete(index) empties the slot. The kernel gives no way to read
// a slot back.

import { closeSync, openSync } from "node:fs";
import { BpfError, failed } from "./errors.js";
import { native } from "./libbpf.js";
import { MapBase } from "./maps.js";

const EBADF = 9;

export class CgroupMap extends MapBase<number> {
  /** Puts the cgroup at `path` (a directory of the cgroup v2 hierarchy, such as
   *  /sys/fs/cgroup/unified/x) at `index`. */
  set(index: number, path: string): void {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      throw new BpfError("map", `map '${this.name}': cannot open cgroup '${path}': ${(e as Error).message}`);
    }
    try {
      const value = new Uint8Array(4);
      new DataView(value.buffer).setInt32(0, fd, true);
      if (native().updateElem(this.src.fd(), this.encodeKey(index), value, 0n) === 0) return;
      const hint = native().errno() === EBADF ? "not a directory of the cgroup v2 hierarchy (see /proc/mounts for where cgroup2 is mounted)" : undefined;
      failed("map", `putting cgroup '${path}' at index ${index} of map '${this.name}'`, { hint });
    } finally {
      closeSync(fd);
    }
  }
}
