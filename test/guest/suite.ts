// The guest tests' frame: one boot per kernel runs the commands of every check, then each
// check is its own test. In: a kernel id and checks (checks/*.ts), each of which compiles
// its probes on the host and queues loader runs in prepare(), and asserts on their results
// in the function prepare() returns. Out: a vitest describe block. A kernel that cannot be
// prepared or a guest that fails to boot fails every test with the reason (and console log).

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, it } from "vitest";
import { loadKernelBtf } from "../../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../../compiler/debuginfo/ts-decls.js";
import { targetFor, type Target } from "../../compiler/target/index.js";
import { OUT_DIR, compileProbe } from "../e2e/compile-helper.js";
import { buildLoader, buildTarget, loaderArgs, parseLoaderRun, type LoaderOptions, type LoaderResult } from "../harness/harness.js";
import { Batch, type CommandResult } from "./batch.js";
import { runInGuest, type GuestRun } from "./guest.js";
import { prepareKernel, type GuestKernel, type KernelId } from "./kernels.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Kernel structs the probes import from "./kernel.js". */
const KERNEL_TYPES = ["file", "inode", "open_how"];
/** Boot to power-off; a run takes 10-20 s alone, more on a busy machine. */
const GUEST_TIMEOUT_MS = 240_000;

export interface CheckContext {
  kernel: GuestKernel;
  /** The compiler's description of the guest's architecture (its syscall wrappers' names). */
  target: Target;
  /** The workload (workload.c) built for the guest; its comm is "gwork". */
  workload: string;
  /** Builds a C program for the guest (a uprobe target) with these compiler flags. */
  build(name: string, cSource: string, flags: string[]): string;
  /** Compiles a probe for the guest's architecture against the guest's BTF, or this
   *  machine's with btf "host", next to a kernel.d.ts of that BTF's file, inode and
   *  open_how, for BPF CPU `cpu` (default v3); returns the object's path. */
  compile(name: string, source: string, btf?: "guest" | "host", cpu?: string): string;
  /** Queues a loader run; the returned function gives its result after the boot. */
  load(name: string, object: string, opts: LoaderOptions): (run: GuestRun) => LoaderResult;
  /** Queues a command; the returned function gives its result after the boot. */
  command(name: string, argv: string[]): (run: GuestRun) => CommandResult;
}

export interface GuestCheck {
  title: string;
  prepare(ctx: CheckContext): (run: GuestRun) => void;
}

function context(kernel: GuestKernel, batch: Batch): CheckContext {
  const { toolchain, target } = kernel.arch;
  const loader = buildLoader(toolchain);
  const made = new Set<string>();
  const dirFor = (btf: "guest" | "host") => {
    const dir = path.join(OUT_DIR, `guest-${kernel.id}-${btf}-btf`);
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      const decls = kernelTypesToTs(btf === "host" ? loadKernelBtf() : loadKernelBtf(kernel.btf), KERNEL_TYPES, { depth: 1 });
      fs.writeFileSync(path.join(dir, "kernel.d.ts"), decls.text);
      made.add(dir);
    }
    return dir;
  };
  const build = (name: string, cSource: string, flags: string[]) => buildTarget(name, cSource, flags, toolchain);
  return {
    kernel,
    target: targetFor(target)!,
    workload: build("gwork", fs.readFileSync(path.join(HERE, "workload.c"), "utf8"), ["-O1", "-g", "-static"]),
    build,
    compile: (name, source, btf = "guest", cpu) => compileProbe(name, source, { dir: dirFor(btf), btfPath: btf === "guest" ? kernel.btf : undefined, arch: target, cpu }).object,
    load(name, object, opts) {
      const seconds = opts.timeoutSeconds ?? 20;
      batch.add(name, [loader, ...loaderArgs(object, { ...opts, timeoutSeconds: seconds })], seconds + 20);
      return (run) => {
        const r = batch.result(run, name);
        if (r.timedOut) throw new Error(`the loader run '${name}' timed out in the guest:\n${r.stderr}`);
        return parseLoaderRun(r.exitCode, r.stdout, r.stderr);
      };
    },
    command(name, argv) {
      batch.add(name, argv);
      return (run) => batch.result(run, name);
    },
  };
}

export function guestSuite(id: KernelId, checks: GuestCheck[]): void {
  describe(`Linux ${id} in a guest`, () => {
    const verifiers: ((run: GuestRun) => void)[] = [];
    let run: GuestRun | undefined;
    let failure: unknown;
    beforeAll(async () => {
      try {
        const kernel = prepareKernel(id);
        const batch = new Batch();
        const ctx = context(kernel, batch);
        for (const c of checks) {
          try {
            verifiers.push(c.prepare(ctx));
          } catch (e) {
            verifiers.push(() => { throw e; });
          }
        }
        run = await runInGuest(kernel, batch.script(), { timeoutMs: GUEST_TIMEOUT_MS });
        console.log(`${kernel.package} ${kernel.version}: ${checks.length} checks in one boot, ${run.seconds.toFixed(1)} s`);
      } catch (e) {
        failure = e;
      }
    }, GUEST_TIMEOUT_MS + 180_000);
    checks.forEach((c, i) => {
      it(c.title, () => {
        if (failure !== undefined) throw failure;
        verifiers[i]!(run!);
      });
    });
  });
}
