// `bpftsc run probe.ts`: compiles the probe in-process (or takes it from the cache of
// compiled objects, compile-cache.ts, compiling it anew if its tracefs inputs, read
// once it is open, changed), starts the -c command held (child.ts: a setting may be its pid)
// while the probes' perf events open on another thread, sets the --set settings, loads
// it, puts the --cgroup in its cgroup arrays, attaches every program, prints ring- and
// perf-buffer records as they arrive (written batch by batch, so a pipe sees them as
// they come), the maps every -i interval, and, when the run ends (SIGINT or SIGTERM, -d
// elapsed, or the -c command, let run once attached, has exited), every map (stack
// traces symbolized) and every setting and global, and on stderr the records each perf
// buffer lost; then detaches.
// In: argv after "run". Out: the exit status: 0 the probe ran, 1 it did not compile, load
// or attach (the reason on stderr: diagnostics, the loader's BpfError with the verifier's
// log), 2 bad usage.

import { basename } from "node:path";
import { formatDiagnostic } from "../compiler/diagnostics.js";
import {
  BpfError, BpfObject, PerfBuffer, RingBuffer, Symbolizer, jsonPrinter, probedBinaries, snapshotGlobals, snapshotMaps, textPrinter,
  type Printer, type Value,
} from "../loader/index.js";
import { BATCH } from "../loader/record-stream.js";
import { applyCgroup } from "./cgroup.js";
import { startHeld, type HeldChild } from "./child.js";
import { compileProbe, type Compiled } from "./compile-cache.js";
import { CPID, RUN_USAGE, parseRunArgs, type RunArgs } from "./run-args.js";
import { applySettings } from "./settings.js";

/** Where records come from while the probe runs: its ring buffers and perf buffers. */
interface EventSource {
  readonly name: string;
  /** Batches of records as they arrive, until the object is closed. */
  batches(): AsyncIterable<readonly Value[]>;
  /** The records there are now, at most `max`. */
  drain(max: number): readonly Value[];
}

export async function runMain(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const args = parseRunArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`bpftsc run: ${args}\n${RUN_USAGE}`);
    return 2;
  }
  let r = await compiled(args);
  if (!r) return 1;
  let obj: BpfObject;
  try {
    obj = opened(r.object, args);
  } catch (e) {
    return failure(e);
  }
  const child = args.command ? startHeld(args.command) : undefined;
  if (typeof child === "string") {
    obj.close();
    process.stderr.write(`bpftsc run: -c ${child}\n`);
    return 1;
  }
  const giveUp = (status: number, why?: string): number => {
    child?.stop();
    obj.close();
    if (why) process.stderr.write(`bpftsc run: ${why}\n`);
    return status;
  };
  try {
    // An object from the compile cache is opened before its tracefs inputs are read
    // (compile-cache.ts: a read waits while others change trace events): if they
    // changed, it is compiled anew and opened in its place.
    if (r.confirm && !r.confirm()) {
      obj.close();
      r = await compiled(args, true);
      if (!r) return giveUp(1);
      obj = opened(r.object, args);
    }
    const sets = args.sets.map((s) => (s.text === CPID ? { ...s, text: String(child!.pid) } : s));
    const bad = applySettings(obj.globals, sets);
    if (bad) return giveUp(2, bad);
    obj.load();
    const badCgroup = args.cgroup === undefined ? undefined : applyCgroup(obj.maps, args.cgroup);
    if (badCgroup) return giveUp(2, badCgroup);
    await obj.openEvents();
    obj.attach();
  } catch (e) {
    giveUp(1);
    return failure(e);
  }
  return trace(obj, args, child);
}

/** The object, its probes' perf events opening on another thread (BpfObject's
 *  openEvents) while the rest of it is read, the command starts and it loads. */
function opened(bytes: Uint8Array, args: RunArgs): BpfObject {
  return new BpfObject(bytes, basename(args.probe, ".ts"), { openEvents: true });
}

/** The compiled object (`refresh`: compiled even if the cache has it), or undefined
 *  after printing the diagnostics. */
async function compiled(args: RunArgs, refresh = false): Promise<(Compiled & { object: Uint8Array }) | undefined> {
  try {
    const r = await compileProbe({ fileName: args.probe, btfPath: args.btf }, args.cache, refresh);
    for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
    return r.object ? { ...r, object: r.object } : undefined;
  } catch (e) {
    process.stderr.write(`bpftsc run: ${args.probe}: internal compiler error: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** Lines of a failure's message shown at most: a verifier log can run to a million lines,
 *  and its verdict is at the end. */
const HEAD_LINES = 40, TAIL_LINES = 60;

function failure(e: unknown): number {
  if (!(e instanceof BpfError)) throw e;
  const lines = e.message.split("\n");
  const cut = lines.length - HEAD_LINES - TAIL_LINES;
  const shown = cut <= 0 ? lines : [...lines.slice(0, HEAD_LINES), `... (${cut} lines of the log left out)`, ...lines.slice(-TAIL_LINES)];
  process.stderr.write(`bpftsc run: ${shown.join("\n")}\n`);
  return 1;
}

/** Runs the attached object until the run ends, printing as it goes; then closes it. */
async function trace(obj: BpfObject, args: RunArgs, child: HeldChild | undefined): Promise<number> {
  const sources: EventSource[] = Object.values(obj.maps).filter((m) => m instanceof RingBuffer || m instanceof PerfBuffer);
  const printer: Printer = args.json ? jsonPrinter() : textPrinter(sources.map((s) => s.name));
  const symbols = new Symbolizer([...probedBinaries(obj.programs), ...(args.program ? [args.program] : [])]);
  const write = (text: string): void => {
    if (text) process.stdout.write(text);
  };
  let status = 0;
  // Waiting for a signal alone would not keep Node's event loop alive: a timer does.
  const timers: NodeJS.Timeout[] = [setInterval(() => {}, 1 << 30)];
  const ended = new Promise<void>((resolve) => {
    const end = (): void => resolve();
    process.once("SIGINT", end).once("SIGTERM", end);
    process.stdout.on("error", end); // the reader went away (EPIPE): end, and write no more errors
    const names = obj.programs.map((p) => p.name);
    process.stderr.write(`Attached ${names.length} program${names.length === 1 ? "" : "s"} (${names.join(", ")}); Ctrl-C ends the run.\n`);
    if (args.durationMs !== undefined) timers.push(setTimeout(end, args.durationMs));
    if (args.intervalMs !== undefined) timers.push(setInterval(() => write(printer.interval(new Date(), snapshotMaps(obj, symbols))), args.intervalMs));
    if (child) {
      child.process.once("exit", end).once("error", (e) => {
        process.stderr.write(`bpftsc run: -c ${args.command![0]}: ${e.message}\n`);
        status = 1;
        end();
      });
      child.resume();
    }
  });
  const consumers = sources.map(async (s) => {
    for await (const batch of s.batches()) write(printer.events(s.name, batch));
  });
  await ended;
  // A batch a consumer has taken from its ring may not be printed yet (its promise
  // callbacks still queued): let them run before the last records and the maps.
  await new Promise((resolve) => setImmediate(resolve));
  timers.forEach(clearTimeout);
  process.removeAllListeners("SIGINT").removeAllListeners("SIGTERM");
  try {
    // A batch at a time: a backlog of a million records is too long for one string.
    for (const s of sources) for (let batch = s.drain(BATCH); batch.length > 0; batch = s.drain(BATCH)) write(printer.events(s.name, batch));
    write(printer.end(snapshotMaps(obj, symbols), snapshotGlobals(obj)));
    for (const s of sources) if (s instanceof PerfBuffer && s.lost > 0) process.stderr.write(`bpftsc run: perf buffer '${s.name}' lost ${s.lost} record${s.lost === 1 ? "" : "s"}\n`);
  } finally {
    obj.close();
    child?.stop();
  }
  await Promise.all(consumers);
  return status;
}
