// Where backend jobs (backend-job.ts) run: on the compiling thread as they are submitted,
// or, for a compile that asks for it, shared with one worker thread, so that the backend
// of one function runs while the next is lowered and type-checked.
// In: jobs, in the order the functions go into the object. Out: their outcomes, in the
// same order, whichever thread ran them; the object is the same either way.
//
// With the worker, each job is posted to it as it is submitted, with a claim word in
// shared memory (QUEUED, then MAIN or WORKER, then DONE once the worker has posted the
// outcome). The thread that moves a job out of QUEUED runs it. finish() runs every job
// the worker has not claimed yet itself, then waits (Atomics.wait) for those it has and
// reads their outcomes from a message port with receiveMessageOnPort: compile() stays
// synchronous. The worker starts once the jobs are enough work to repay its start-up
// (WORKER_MIN_INSTS), or at once for a file long enough that its start-up is best
// spent beside the parse and type check (EARLY_WORKER_TEXT): one large handler is then
// compiled on the worker while this thread type-checks it. A compile that is done
// before the worker is up runs everything itself.
// The worker's file sits beside this module (backend-worker.ts, built to
// dist/compiler/backend-worker.js, and bundled to dist/backend-worker.cjs beside
// dist/compiler.cjs); run from sources, there is none, and the jobs run inline.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { rethrown, runBackendJob, type BackendJob, type BackendOutcome } from "./backend-job.js";

export const QUEUED = 0;
const MAIN = 1;
export const WORKER = 2;
export const DONE = 3;

/** A job as posted to the worker. */
export interface PostedJob { id: number; claim: Int32Array; job: BackendJob }
/** An outcome as the worker posts it back. */
export interface PostedOutcome { id: number; outcome: BackendOutcome }

/** An outcome that finish() returns rather than throws. */
export type BackendResult = Exclude<BackendOutcome, { kind: "thrown" }>;

export interface BackendPool {
  submit(job: BackendJob): void;
  /** Every submitted job's outcome, in submission order; a "thrown" one is rethrown. Ends
   *  the pool. */
  finish(): BackendResult[];
  /** How many of the jobs the worker ran (after finish()). */
  onWorker(): number;
  /** Ends the pool without waiting for what is still queued (a compile that failed);
   *  after finish(), nothing. */
  abandon(): void;
}

/** Jobs run as they are submitted. */
export function inlinePool(): BackendPool {
  const outcomes: BackendOutcome[] = [];
  return {
    submit: (job) => { outcomes.push(runBackendJob(job)); },
    finish: () => outcomes.map(checked),
    onWorker: () => 0,
    abandon: () => undefined,
  };
}

/** The worker's script beside this module, if it was built. */
function workerFile(): string | undefined {
  for (const name of ["./backend-worker.cjs", "./backend-worker.js"]) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The IR instructions, summed over the jobs submitted, past which the worker starts.
 *  A worker costs its start-up (~130 ms of the second core, which the process's exit
 *  also waits for if it is not over); below this the whole backend takes about as long
 *  cold. */
export const WORKER_MIN_INSTS = 500;

/** The length of probe file text (characters) past which the compile starts the worker
 *  before lowering anything (workerPool(true)): some 700 statements, whose backend
 *  takes longer than the worker's start-up. A 1,000-statement handler compiles 5-10%
 *  sooner, a 3,000-statement one 10-20%. */
export const EARLY_WORKER_TEXT = 16_384;

const instCount = (job: BackendJob): number => job.ir.blocks.reduce((n, b) => n + b.insts.length, 0);

/** Jobs shared with a worker thread, started now or once the jobs submitted are
 *  WORKER_MIN_INSTS of IR; until then jobs wait for finish() and run on this thread.
 *  Inline when there is no worker script to start. */
export function workerPool(startNow = false): BackendPool {
  const file = workerFile();
  if (file === undefined) return inlinePool();
  const jobs: { job: BackendJob; claim: Int32Array }[] = [];
  const outcomes = new Map<number, BackendOutcome>();
  let insts = 0;
  let mainRan = 0;
  let ended = false;
  let started = false;
  let worker: { thread: Worker; results: MessagePort } | undefined;
  const post = (id: number): void => {
    const posted: PostedJob = { id, claim: jobs[id]!.claim, job: jobs[id]!.job };
    worker!.thread.postMessage(posted);
  };
  /** Starts the worker and posts it the jobs so far; a worker that cannot be started
   *  leaves them all to this thread. */
  const start = (): void => {
    started = true;
    const { port1: results, port2 } = new MessageChannel();
    let thread: Worker;
    try {
      thread = new Worker(file, { workerData: { results: port2 }, transferList: [port2] });
    } catch {
      results.close();
      return;
    }
    thread.unref();
    worker = { thread, results };
    jobs.forEach((_, id) => post(id));
  };
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (!worker) return;
    worker.results.close();
    void worker.thread.terminate();
  };
  if (startNow) start();
  return {
    submit(job) {
      jobs.push({ job, claim: new Int32Array(new SharedArrayBuffer(4)) });
      insts += instCount(job);
      if (worker) post(jobs.length - 1);
      else if (!started && !ended && insts >= WORKER_MIN_INSTS) start();
    },
    finish() {
      const mine = new Map<number, BackendOutcome>();
      jobs.forEach(({ job, claim }, id) => {
        if (Atomics.compareExchange(claim, 0, QUEUED, MAIN) === QUEUED) mine.set(id, runBackendJob(job));
      });
      mainRan = mine.size;
      const all = jobs.map(({ claim }, id) => {
        const own = mine.get(id);
        if (own) return own;
        while (Atomics.load(claim, 0) !== DONE) Atomics.wait(claim, 0, WORKER);
        return received(worker!.results, outcomes, id);
      });
      end();
      return all.map(checked);
    },
    onWorker: () => jobs.length - mainRan,
    abandon() {
      for (const { claim } of jobs) Atomics.compareExchange(claim, 0, QUEUED, MAIN);
      end();
    },
  };
}

/** Job `id`'s outcome, reading the port until it has come. */
function received(port: MessagePort, outcomes: Map<number, BackendOutcome>, id: number): BackendOutcome {
  for (;;) {
    const got = outcomes.get(id);
    if (got) return got;
    const m = receiveMessageOnPort(port);
    if (m === undefined) throw new Error(`the backend worker marked job ${id} done without posting its outcome`);
    const { id: from, outcome } = m.message as PostedOutcome;
    outcomes.set(from, outcome);
  }
}

function checked(o: BackendOutcome): BackendResult {
  if (o.kind === "thrown") throw rethrown(o);
  return o;
}
