// The backend pool with its worker, as built (dist/compiler/backend-pool.js starts
// dist/compiler/backend-worker.js): the worker runs the jobs it claims, and every outcome
// is the one-thread outcome, in submission order.

import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type * as Pool from "../../compiler/backend-pool.js";
import type { BackendJob } from "../../compiler/backend-job.js";
import { REPO_ROOT } from "../harness/harness.js";
import { randomProgram } from "../backend/support/random-ir.js";
import { ensureBuilt } from "./run-helper.js";

const BUILT = path.join(REPO_ROOT, "dist", "compiler", "backend-pool.js");

/** Blocks this thread, as lowering and type-checking the next function would. */
const busy = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

describe("backend pool with a worker", () => {
  let pool: typeof Pool;
  beforeAll(async () => {
    ensureBuilt();
    pool = (await import(BUILT)) as typeof Pool;
  });

  it("the worker runs jobs posted before finish(), and the outcomes are the inline ones in order", () => {
    const irs = Array.from({ length: 24 }, (_, k) => randomProgram(9000 + k, 6 + (k % 5)).ir);
    const shared = pool.workerPool();
    const inline = pool.inlinePool();
    for (const ir of irs) {
      shared.submit({ ir, cpu: "v3", dumpIr: true });
      inline.submit({ ir, cpu: "v3", dumpIr: true });
    }
    // Give the worker time to start and take jobs.
    busy(1500);
    const got = shared.finish();
    expect(shared.onWorker()).toBeGreaterThan(0);
    expect(got).toEqual(inline.finish());
    expect(got.every((o) => o.kind === "code" && o.code.insns.length > 0 && o.ir!.length > 0)).toBe(true);
  });

  it("one job of WORKER_MIN_INSTS or more goes to the worker while this thread is busy", () => {
    const { ir } = randomProgram(9008, 40);
    expect(ir.blocks.reduce((n, b) => n + b.insts.length, 0)).toBeGreaterThanOrEqual(pool.WORKER_MIN_INSTS);
    const shared = pool.workerPool();
    shared.submit({ ir, cpu: "v3", dumpIr: false });
    busy(2500);
    expect(shared.finish()).toEqual(oneThread(ir));
    expect(shared.onWorker()).toBe(1);
  });

  it("a pool started at once has its worker take even a small first job", () => {
    const { ir } = randomProgram(9000, 6);
    expect(ir.blocks.reduce((n, b) => n + b.insts.length, 0)).toBeLessThan(pool.WORKER_MIN_INSTS);
    const early = pool.workerPool(true);
    busy(1500);
    early.submit({ ir, cpu: "v3", dumpIr: false });
    busy(1000);
    expect(early.finish()).toEqual(oneThread(ir));
    expect(early.onWorker()).toBe(1);
    // Without the early start, the same job stays on this thread.
    const late = pool.workerPool();
    late.submit({ ir, cpu: "v3", dumpIr: false });
    busy(1000);
    late.finish();
    expect(late.onWorker()).toBe(0);
  });

  it("a pool abandoned with jobs queued ends without running them", () => {
    const shared = pool.workerPool();
    for (let k = 0; k < 4; k++) shared.submit({ ir: randomProgram(9100 + k, 8).ir, cpu: "v3", dumpIr: false });
    shared.abandon();
    shared.abandon();
    const next = pool.workerPool();
    next.submit({ ir: randomProgram(9200, 8).ir, cpu: "v3", dumpIr: false });
    expect(next.finish()).toEqual(oneThread(randomProgram(9200, 8).ir));
  });

  /** A job's outcome on this thread alone. */
  const oneThread = (ir: BackendJob["ir"]) => {
    const inline = pool.inlinePool();
    inline.submit({ ir, cpu: "v3", dumpIr: false });
    return inline.finish();
  };
});
