// Ring-buffer throughput of bpftsc/loader: 64-byte records from a tracepoint on a cheap
// syscall that a C workload makes in a loop, decoded into objects in user space:
//   - decode: the ring is filled first (nothing reads it while the workload runs), then
//     drain() decodes every record, BATCH at a time as batches() does: records/s the
//     consumer alone decodes (best and median of --rounds);
//   - live: the workload runs while a for-await loop consumes; records/s end to end, and
//     records lost (the probe counts what it offered, the loop counts what arrived).
//
//   npx tsx bench/ringbuf.ts [--records N] [--rounds N]
//
// `npm run bench` runs it too (ringbufBench), after the compiler's table and before
// bench/run-vs-bpftrace.ts.
//
// A benchmark, not a test: it prints, it never fails on a number. Needs root and gcc.
// Other processes' getppid calls are records too; the counts include them.

import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { open } from "../loader/index.js";
import { buildTarget, ensureTracefs } from "../test/harness/harness.js";
import type * as P from "./ringbuf-probe.ts";

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), "ringbuf-probe.ts");
const RING_RECORDS = 233_016; // of 64 bytes and their headers, in the probe's 16 MiB
const BATCH = 4096;

const WORKLOAD = `#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) { long n = atol(argv[1]); for (long i = 0; i < n; i++) syscall(SYS_getppid); return 0; }
`;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export interface RingbufResult {
  /** Decoded records/s of the consumer alone: the best and the median round. */
  decodeBest: number;
  decodeMedian: number;
  /** End to end while the workload runs. */
  liveRate: number;
  lost: bigint;
}

/** Measures and prints both; returns the numbers. */
export async function ringbufBench(records = 1_000_000, rounds = 5): Promise<RingbufResult> {
  ensureTracefs();
  const binary = buildTarget("ringbuf-bench", WORKLOAD, ["-O2"]);
  using obj = await open<typeof P>(PROBE);
  obj.load().attach();
  const rb = obj.maps.events;
  const offered = () => obj.maps.offered.get(0)!;

  // decode: fill, then drain once, per round.
  const fill = RING_RECORDS - 1024; // room for other processes' records
  const rates: number[] = [];
  let bad = 0;
  for (let r = 0; r < rounds; r++) {
    rb.drain();
    const check = checker(spawnSync(binary, [String(fill)], { stdio: "inherit" }).pid);
    let decoded = 0;
    const t = performance.now();
    for (let batch = rb.drain(BATCH); batch.length > 0; batch = rb.drain(BATCH)) {
      batch.forEach(check.record);
      decoded += batch.length;
    }
    const ms = performance.now() - t;
    rates.push(decoded / (ms / 1000));
    bad += check.bad() + Math.abs(fill - check.ours());
  }
  rates.sort((a, b) => a - b);
  console.log(`decode: ${fill.toLocaleString("en-US")} records ${BATCH} at a time, best ${rate(rates.at(-1)!)}, median ${rate(rates[rates.length >> 1]!)}; records wrong, out of order or missing: ${bad}`);

  // live: consume while the workload produces.
  rb.drain();
  const start = offered();
  let received = 0;
  const child = spawn(binary, [String(records)], { stdio: "inherit" });
  const check = checker(child.pid!);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const t = performance.now();
  const consume = (async () => {
    for await (const chunk of rb.batches()) {
      chunk.forEach(check.record);
      received += chunk.length;
    }
  })();
  await exited;
  const ms = performance.now() - t;
  // Let the loop take what is still in the ring, then end it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  rb.close();
  await consume;
  const sent = offered() - start;
  console.log(`live: ${received.toLocaleString("en-US")} of ${sent.toLocaleString("en-US")} offered records while the workload ran ${ms.toFixed(0)} ms = ${rate(received / (ms / 1000))}; lost ${sent - BigInt(received)}; the workload's records wrong or out of order: ${check.bad()}, received ${check.ours()} of ${records}`);
  return { decodeBest: rates.at(-1)!, decodeMedian: rates[rates.length >> 1]!, liveRate: received / (ms / 1000), lost: sent - BigInt(received) };
}

/** Checks each record's fields, and that the workload's own records come in seq order
 *  (other processes' getppid calls are records too). */
function checker(pid: number | undefined) {
  let bad = 0, ours = 0, last = 0n;
  return {
    record: (x: { seq: bigint; a: bigint; b: bigint; c: bigint; pid: number; name: string }) => {
      if (x.a !== 3n * x.seq || x.b !== (x.seq ^ 0xffn) || x.c !== 7n) bad++;
      if (x.pid !== pid) return;
      ours++;
      if (x.seq <= last || x.name !== "ringbuf-bench") bad++;
      last = x.seq;
    },
    bad: () => bad,
    ours: () => ours,
  };
}

export function rate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString("en-US")} records/s`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await ringbufBench(option("--records", 1_000_000), option("--rounds", 5));
