// The typed loader on a bpftsc probe (probes/stats.ts) in the real kernel: its uprobe is
// attached at run time to a build of the workload other than the one its section names,
// the workload runs, and every map and ring-buffer record is read back
// through types taken from the probe file and compared with what the workload did.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, type BpfObject } from "../../loader/index.js";
import { kernelAvailable } from "../harness/harness.js";
import type * as P from "./probes/stats.ts";
import { buildWorkload, calls, probeFor, runWorkload, startWaiting, type Call } from "./workload.js";

const COUNT = 40;

interface ExpectedEvent { id: number; bytes: bigint; delta: bigint; name: string }

/** What the probe's ring buffer carries for these calls (readStr fills Chars<16>: 15 bytes and a NUL). */
function events(cs: Call[]): ExpectedEvent[] {
  return cs.map((c) => ({ id: c.id, bytes: c.bytes, delta: c.delta, name: c.name.slice(0, 15) }));
}

describe("a bpftsc probe's maps and ring buffer, typed from the probe file", () => {
  let obj: BpfObject<typeof P>;
  let target: string;

  beforeAll(async () => {
    kernelAvailable();
    target = buildWorkload();
    obj = await open<typeof P>(probeFor(buildWorkload("loader-section")));
    obj.load().attach("onRecord", { binary: target });
    runWorkload(target, COUNT);
  });
  afterAll(() => obj?.close());

  it("lists the probe's maps and programs", () => {
    expect(Object.keys(obj.maps).sort()).toEqual(["callsPerCpu", "events", "perId", "sizes"]);
    expect(obj.programs).toEqual([{ name: "onRecord", section: `uprobe/${buildWorkload("loader-section")}:record` }]);
    expect(obj.attached()).toEqual(["onRecord"]);
  });

  it("ring-buffer records arrive in call order with every field decoded", () => {
    const got = obj.maps.events.drain();
    expect(got.map(({ cpu: _cpu, ...rest }) => rest)).toEqual(events(calls(COUNT)));
    expect(obj.maps.events.drain()).toEqual([]);
    // The per-CPU map counted each call on the CPU the record says it ran on.
    for (let id = 0; id < 5; id++) {
      const perCpu = obj.maps.callsPerCpu.get(id)!;
      const want = Array.from({ length: perCpu.length }, (_, cpu) => BigInt(got.filter((e) => e.id === id && e.cpu === cpu).length));
      expect(perCpu).toEqual(want);
    }
  });

  it("a struct-valued hash map holds each id's totals", () => {
    const want = new Map<number, { calls: bigint; bytes: bigint; lastDelta: bigint }>();
    for (const c of calls(COUNT)) {
      const w = want.get(c.id) ?? { calls: 0n, bytes: 0n, lastDelta: 0n };
      want.set(c.id, { calls: w.calls + 1n, bytes: w.bytes + c.bytes, lastDelta: c.delta });
    }
    expect(new Map(obj.maps.perId.entries())).toEqual(want);
    expect(obj.maps.perId.get(3)).toEqual(want.get(3));
    expect(obj.maps.perId.get(77)).toBeUndefined();
    expect([...obj.maps.perId.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("a per-CPU map gives one value per possible CPU and sums them", () => {
    const cpus = obj.maps.callsPerCpu.cpus;
    expect(cpus).toBeGreaterThan(0);
    for (const [id, values] of obj.maps.callsPerCpu) {
      expect(values).toHaveLength(cpus);
      expect(obj.maps.callsPerCpu.sum(id)).toBe(BigInt(COUNT / 5));
    }
    expect(obj.maps.callsPerCpu.sum(9)).toBeUndefined();
  });

  it("an array map of histogram buckets: every index, the workload's counts", () => {
    const want = Array.from({ length: 16 }, () => 0n);
    for (const c of calls(COUNT)) want[Number(c.bytes / 1000n)]! += 1n;
    expect([...obj.maps.sizes.values()]).toEqual(want);
    expect([...obj.maps.sizes.keys()]).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it("user space writes, reads back and deletes entries", () => {
    const m = obj.maps.perId;
    m.set(100, { calls: 1, bytes: 2n ** 63n, lastDelta: -(2n ** 63n) });
    expect(m.get(100)).toEqual({ calls: 1n, bytes: 2n ** 63n, lastDelta: -(2n ** 63n) });
    expect(() => m.set(100, { calls: 1, bytes: 2, lastDelta: 0 }, "noexist")).toThrow(/update on map 'perId' failed: File exists \(errno 17\)/);
    expect(m.delete(100)).toBe(true);
    expect(m.delete(100)).toBe(false);
    expect(m.has(100)).toBe(false);
    obj.maps.sizes.set(15, 12345n);
    expect(obj.maps.sizes.get(15)).toBe(12345n);
    obj.maps.sizes.set(15, 0);
    expect(() => obj.maps.sizes.delete(0)).toThrow(/delete on map 'sizes' failed: Invalid argument \(errno 22\)/);
  });

  it("values that do not fit the BTF type are refused before reaching the kernel", () => {
    const m = obj.maps.perId as unknown as { set(k: unknown, v: unknown): void };
    expect(() => m.set(1, { calls: 1, bytes: 2 })).toThrow("value: missing field 'lastDelta' of struct Stats");
    expect(() => m.set(-1, { calls: 1, bytes: 2, lastDelta: 0 })).toThrow("key: -1 is out of range for u32 (0..4294967295)");
    expect(() => m.set(1, { calls: 1.5, bytes: 2, lastDelta: 0 })).toThrow("value.calls: expected an integer (u64), got 1.5");
    expect(() => m.set(1, { calls: 1, bytes: 2, lastDelta: 0, extra: 1 })).toThrow("value: struct Stats has no field 'extra'");
    expect(obj.maps.perId.get(1)!.calls).toBe(8n);
  });

  it("for await reads records as a running workload produces them", async () => {
    obj.maps.events.drain();
    const run = startWaiting(target, 25);
    const got: ExpectedEvent[] = [];
    const reading = (async () => {
      for await (const e of obj.maps.events) {
        got.push({ id: e.id, bytes: e.bytes, delta: e.delta, name: e.name });
        if (got.length === 25) break;
      }
    })();
    run.go();
    await Promise.all([run.done, reading]);
    expect(got).toEqual(events(calls(25)));
  });

  it("a drain gives the whole ring back: records not yet decoded wait in user space, not in the ring", () => {
    // The 64 KiB ring holds 1,365 records of 40 bytes and their headers: 999 left in it
    // after a drain(1), and 1,000 more, would not fit.
    const drop = (e: { cpu: number }) => ({ ...e, cpu: 0 });
    obj.maps.events.drain();
    runWorkload(target, 1000);
    const first = obj.maps.events.drain(1);
    runWorkload(target, 1000);
    const rest = obj.maps.events.drain();
    expect([...first, ...rest].map(drop)).toEqual([...events(calls(1000)), ...events(calls(1000))].map((e) => ({ ...e, cpu: 0 })));
  });
});

describe("a uprobe pointed at run time to one process and to another function", () => {
  it("pid: only the chosen process's calls are seen; func: the other function's arguments; close ends the reading", async () => {
    kernelAvailable();
    const target = buildWorkload();
    using obj = await open<typeof P>(probeFor(buildWorkload("loader-section")));
    obj.load();
    const chosen = startWaiting(target, 10);
    const bystander = startWaiting(target, 20);
    obj.attach("onRecord", { binary: target, pid: chosen.pid });
    chosen.go();
    bystander.go();
    await Promise.all([chosen.done, bystander.done]);
    expect(obj.maps.events.drain().map((e) => e.bytes)).toEqual(calls(10).map((c) => c.bytes));

    obj.detach("onRecord");
    obj.attach("onRecord", { binary: target, func: "other" });
    runWorkload(target, 3);
    expect(obj.maps.events.drain().map(({ cpu: _cpu, ...e }) => e)).toEqual([{ id: 4, bytes: 5n, delta: 6n, name: "other" }]);

    // Closing the object ends a for-await that is waiting for records.
    const waiting = (async () => {
      const seen: unknown[] = [];
      for await (const e of obj.maps.events) seen.push(e);
      return seen;
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    obj.close();
    expect(await waiting).toEqual([]);
    expect(obj.attached()).toEqual([]);
  });
});
