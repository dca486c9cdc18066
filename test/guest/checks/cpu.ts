// CPU v4 objects (--cpu v4): a kprobe whose code sign-extends with a sign-extending load
// from the context and with movsx, and divides with sdiv and smod, computes what v3 code
// computes on kernels 6.6 and later, and the verifier
// of an older kernel refuses it at load (as the README says), naming no other reason.

import { expect } from "vitest";
import { LoaderError, decodeInt, getMap } from "../../harness/harness.js";
import type { GuestCheck } from "../suite.js";
import { field, workloadRun } from "./workload.js";

const PROBE = `import { kprobe, ArrayMap, type i8, type i32, type i64, type u64 } from "bpftsc";

const out = new ArrayMap<i64>(4);

export const onWrite = kprobe("ksys_write", (arg0: i32, count: u64) => {
  if (count !== 100) return;
  const n: i64 = 0 - count;
  out.set(0, n / 7);
  out.set(1, n % 7);
  out.set(2, (count + 100) as i8);
  out.set(3, 0 - arg0);
});
`;

/** Kernels before 6.6 have no CPU v4 instructions. */
function hasV4(release: string): boolean {
  const [major, minor] = release.split(".").map(Number);
  return major! > 6 || (major === 6 && minor! >= 6);
}

export const cpuChecks: GuestCheck[] = [
  {
    title: "a --cpu v4 object computes signed division and narrowing where the kernel has v4 (6.6+), and is refused at load before",
    prepare(ctx) {
      const object = ctx.compile("cpu-v4", PROBE, "guest", "v4");
      const result = ctx.load("cpu-v4", object, { attach: true, command: [ctx.workload, "write", "2", "100"] });
      return (run) => {
        if (!hasV4(ctx.kernel.release)) {
          let err: unknown;
          try { result(run); } catch (e) { err = e; }
          expect(err).toBeInstanceOf(LoaderError);
          expect((err as LoaderError).stage).toBe("load");
          return;
        }
        const r = result(run);
        const fd = field(workloadRun(r), "fd");
        const values = (getMap(r, "out").entries ?? []).map((e) => decodeInt(e.value!, "i64"));
        expect(values).toEqual([-14n, -2n, -56n, BigInt(-fd)]);
      };
    },
  },
];
