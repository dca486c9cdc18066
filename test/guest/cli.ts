// Runs one shell command in a guest kernel by hand:
//   npx tsx test/guest/cli.ts <6.1|6.12|6.1-arm64> '<command>'
// prints its stdout and stderr, then the guest's console with --console; exits with the
// command's status. The kernel is downloaded and cached on first use (kernels.ts).

import { Batch } from "./batch.js";
import { runInGuest } from "./guest.js";
import { KERNEL_IDS, prepareKernel, type KernelId } from "./kernels.js";

const args = process.argv.slice(2);
const showConsole = args.includes("--console");
const [id, command] = args.filter((a) => a !== "--console");
if (!KERNEL_IDS.includes(id as KernelId) || command === undefined) {
  console.error(`usage: npx tsx test/guest/cli.ts <${KERNEL_IDS.join("|")}> [--console] '<shell command>'`);
  process.exit(2);
}
const kernel = prepareKernel(id as KernelId);
const batch = new Batch();
batch.add("command", ["/bin/sh", "-c", command], 600);
const run = await runInGuest(kernel, batch.script(), { timeoutMs: 660_000 });
const r = batch.result(run, "command");
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (showConsole) process.stderr.write(`---- console ----\n${run.console}`);
process.stderr.write(`(${kernel.package} ${kernel.version}: ${run.seconds.toFixed(1)} s)\n`);
process.exit(r.exitCode ?? 1);
