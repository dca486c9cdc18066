// Differential fuzzing (test/fuzz/): programs generated from a fixed seed, compiled by
// bpftsc, attached by uprobe to the fuzz target and run there, each out slot and global
// compared with what the reference evaluator says README's semantics give. Any refusal,
// crash, verifier rejection or difference fails with the seed, the program and the first
// difference. Longer runs: `npm run fuzz -- --seed N --count M`.

import { describe, expect, it } from "vitest";
import { generate } from "./generate.js";
import { fuzzTarget, runBatch } from "./run-batch.js";

const SEED = 20261201;
const COUNT = 60;
const BATCH = 20;

describe("bpftsc agrees with the reference on generated programs", () => {
  const target = fuzzTarget();
  for (let s = SEED; s < SEED + COUNT; s += BATCH) {
    it(`seeds ${s}..${s + BATCH - 1}`, () => {
      const outcomes = runBatch(Array.from({ length: BATCH }, (_, k) => generate(s + k)), target);
      const failed = outcomes.filter((o) => o.kind !== "ok");
      if (failed.length) expect.fail(failed.map((o) => `${o.kind}: ${o.detail}`).join("\n\n"));
    });
  }
});
