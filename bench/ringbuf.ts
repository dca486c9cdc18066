// Ring- and perf-buffer throughput of bpftsc/loader: 64-byte records from a tracepoint on
// a cheap syscall that a C workload makes in a loop, decoded into objects in user space:
//   - decode: the buffer is filled first (nothing reads it while the workload runs), then
//     drain() decodes every record, BATCH at a time as batches() does: records/s the
//     consumer alone decodes (best and median of --rounds);
//   - live: the workload runs while a for-await loop consumes; records/s end to end, and
//     records lost (the probe counts what it offered, the loop counts what arrived).
// The ring buffer is ringbuf-probe.ts's 16 MiB RingBuf; the perf buffer the same probe
// with a PerfEventArray in its place, read from rings of 16 MiB per CPU, each woken on
// every record (libbpf's default, as bpftrace's).
//
//   npx tsx bench/ringbuf.ts [--records N] [--rounds N] [--perf]
//
// `npm run bench` runs both (ringbufBench), after the compiler's table and before
// bench/run-vs-bpftrace.ts.
//
// A benchmark, not a test: it prints, it never fails on a number. Needs root and gcc.
// Other processes' getppid calls are records too; the counts include them.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { open, type Decoded, type PerfBuffer, type RingBuffer } from "../loader/index.js";
import { BUILD_DIR, buildTarget, ensureTracefs } from "../test/harness/harness.js";
import type * as P from "./ringbuf-probe.ts";

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), "ringbuf-probe.ts");
const BATCH = 4096;
/** A perf ring's pages per CPU: 16 MiB, as the ring buffer's whole size. */
const PERF_PAGES = 4096;

type Record64 = Decoded<P.Record64>;

interface Kind {
  probe: string;
  /** Records the workload may make before the buffer is full, whichever CPU it runs on
   *  (with room for other processes' records). */
  fill: number;
}

const KINDS = {
  // 233,016 records of 64 bytes and their 8-byte headers fill the 16 MiB ring.
  ring: (): Kind => ({ probe: PROBE, fill: 233_016 - 1024 }),
  // A perf record: an 8-byte header, a 4-byte size, the 64 bytes and 4 of padding.
  perf: (): Kind => ({ probe: perfProbe(), fill: Math.floor((PERF_PAGES * 4096) / 80) - 1024 }),
};

/** ringbuf-probe.ts with a PerfEventArray in place of its RingBuf. */
function perfProbe(): string {
  const file = path.join(BUILD_DIR, "bench", "perfbuf-probe.ts");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const source = fs.readFileSync(PROBE, "utf8");
  const swapped = source.replace("RingBuf,", "PerfEventArray,").replace(/new RingBuf<Record64>\(\d+\)/, "new PerfEventArray<Record64>()");
  if (swapped === source) throw new Error(`${PROBE} no longer declares its ring buffer as perfProbe() expects`);
  fs.writeFileSync(file, swapped);
  return file;
}

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

/** Measures and prints both, for a ring buffer or a perf buffer; returns the numbers. */
export async function ringbufBench(records = 1_000_000, rounds = 5, kind: keyof typeof KINDS = "ring"): Promise<RingbufResult> {
  ensureTracefs();
  const binary = buildTarget("ringbuf-bench", WORKLOAD, ["-O2"]);
  const { probe, fill } = KINDS[kind]();
  using obj = await open<typeof P>(probe, { perfBufferPages: PERF_PAGES });
  obj.load().attach();
  const rb = obj.maps.events as RingBuffer<P.Record64> | PerfBuffer<P.Record64>;
  const offered = () => obj.maps.offered.get(0)!;

  // decode: fill, then drain once, per round.
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
 *  from each CPU (other processes' getppid calls are records too; a perf buffer is read
 *  CPU by CPU, so the order across CPUs is not kept). */
function checker(pid: number | undefined) {
  let bad = 0, ours = 0;
  const last = new Map<number, bigint>();
  return {
    record: (x: Record64) => {
      if (x.a !== 3n * x.seq || x.b !== (x.seq ^ 0xffn) || x.c !== 7n) bad++;
      if (x.pid !== pid) return;
      ours++;
      if (x.seq <= (last.get(x.cpu) ?? 0n) || x.name !== "ringbuf-bench") bad++;
      last.set(x.cpu, x.seq);
    },
    bad: () => bad,
    ours: () => ours,
  };
}

export function rate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString("en-US")} records/s`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await ringbufBench(option("--records", 1_000_000), option("--rounds", 5), process.argv.includes("--perf") ? "perf" : "ring");
}
