// Type-level checks of bpftsc/loader, never run: types.test.ts compiles this file with
// tsc. Every line marked @ts-expect-error must be refused (tsc reports an unused marker),
// and every other line must typecheck. The types come from the probe file itself.

import type { Program, u32, u64 } from "bpftsc";
import { open, type BpfObject } from "../../loader/index.js";
import type * as E from "./probes/events.ts";
import type * as P from "./probes/stats.ts";

export async function typedFromTheProbe(): Promise<void> {
  const obj = await open<typeof P>("stats.ts");

  const s = obj.maps.perId.get(1);
  if (s) {
    const calls: bigint = s.calls;
    const delta: bigint = s.lastDelta;
    void calls, delta;
  }
  // @ts-expect-error a u32 key is a number, not a string
  obj.maps.perId.get("1");
  // @ts-expect-error a u64 field decodes as a bigint, not a number
  const wrong: number | undefined = obj.maps.perId.get(1)?.calls;
  // @ts-expect-error a struct value needs every field
  obj.maps.perId.set(1, { calls: 1, bytes: 2 });
  obj.maps.perId.set(1, { calls: 1, bytes: 2n, lastDelta: -1 });
  // @ts-expect-error a struct key or value is not a scalar
  obj.maps.perId.set(1, 5);

  const perCpu: bigint[] | undefined = obj.maps.callsPerCpu.get(0);
  const summed: bigint | undefined = obj.maps.callsPerCpu.sum(0);
  // @ts-expect-error a per-CPU map's value is one element per CPU
  const single: bigint | undefined = obj.maps.callsPerCpu.get(0);

  const bucket: bigint | undefined = obj.maps.sizes.get(3);
  // @ts-expect-error an array map's index is a number
  obj.maps.sizes.get(3n);

  for await (const e of obj.maps.events) {
    const name: string = e.name;
    const id: number = e.id;
    const bytes: bigint = e.bytes;
    void name, id, bytes;
    // @ts-expect-error Event has no field 'pid'
    void e.pid;
  }

  // @ts-expect-error a ring buffer is not a perf buffer: it loses no records
  void obj.maps.events.lost;
  // @ts-expect-error the probe exports no map 'counts'
  void obj.maps.counts;
  obj.attach("onRecord", { binary: "/bin/true", pid: 1 });
  // @ts-expect-error the probe exports no program 'onWrite'
  obj.attach("onWrite");
  void wrong, perCpu, summed, single, bucket;
}

/** A PerfEventArray reads as a perf buffer of its records, a StackTraceMap as stacks by
 *  id, a CgroupArray as cgroups put in by path. */
export async function perfStacksCgroups(): Promise<void> {
  const obj = await open<typeof E>("events.ts");
  for await (const e of obj.maps.steps) {
    const i: number = e.i;
    const scaled: bigint = e.scaled;
    void i, scaled;
    // @ts-expect-error Step has no field 'pid'
    void e.pid;
  }
  const lost: number = obj.maps.steps.lost;
  const frames: bigint[] | undefined = obj.maps.stacks.get(3);
  // @ts-expect-error a stack is frames, not one address
  const frame: bigint | undefined = obj.maps.stacks.get(3);
  obj.maps.groups.set(0, "/sys/fs/cgroup/unified/x");
  // @ts-expect-error a cgroup is put in by its directory's path, not an fd
  obj.maps.groups.set(0, 5);
  void lost, frames, frame;
}

/** A C object typed by a shape written by hand. */
export function typedByAShape(obj: BpfObject<{ min_id: u32; hits: u64; count: Program }>): void {
  const hits: bigint = obj.globals.get("hits");
  const min: number = obj.globals.get("min_id");
  obj.globals.set("min_id", 3);
  // @ts-expect-error a u32 setting takes a number
  obj.globals.set("min_id", "3");
  obj.attach("count");
  void hits, min;
}
