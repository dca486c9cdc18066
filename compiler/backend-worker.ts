// The backend worker thread (backend-pool.ts starts it): runs each job posted to it that
// the compiling thread has not claimed first, and posts the outcome back.
// In: PostedJob messages; workerData.results, the port for outcomes. Out: PostedOutcome
// messages on that port, each followed by the job's claim word set to DONE.

import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { runBackendJob } from "./backend-job.js";
import { DONE, QUEUED, WORKER, type PostedJob, type PostedOutcome } from "./backend-pool.js";

const results = (workerData as { results: MessagePort }).results;

parentPort!.on("message", ({ id, claim, job }: PostedJob) => {
  if (Atomics.compareExchange(claim, 0, QUEUED, WORKER) !== QUEUED) return;
  const posted: PostedOutcome = { id, outcome: runBackendJob(job) };
  try {
    results.postMessage(posted);
  } catch (e) {
    // An outcome that cannot be cloned is a compiler bug: say so rather than hang.
    const err = e instanceof Error ? e : new Error(String(e));
    results.postMessage({ id, outcome: { kind: "thrown", name: err.name, message: err.message, stack: err.stack } } satisfies PostedOutcome);
  }
  Atomics.store(claim, 0, DONE);
  Atomics.notify(claim, 0);
});
