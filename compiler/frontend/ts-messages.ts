// TypeScript's own diagnostics, said in terms of the probe language: a name JavaScript has
// but BPF code does not (console, Map, Math, setTimeout...) gets what to write instead,
// not TypeScript's advice to change the `lib` compiler option; iteration (for...of, spread)
// gets the counted loop to use.
// In: a ts.Diagnostic's code and flattened text. Out: the message to report (with the TS
// code appended, as for every TypeScript diagnostic).

const NO_RUNTIME = "BPF code runs in the kernel at the probe point, with no JavaScript runtime";

/** What BPF code uses instead of a JavaScript global. */
const INSTEAD: Record<string, string> = {
  console: "print with printk() (bpf_trace_printk), or send records to user space through a RingBuf",
  Map: "declare a HashMap (or LruHashMap, ArrayMap, ...) at the top level of the probe file",
  Set: "declare a HashMap at the top level of the probe file and use its keys",
  WeakMap: "declare a HashMap at the top level of the probe file",
  WeakSet: "declare a HashMap at the top level of the probe file",
  Math: "BPF has integers only: use the integer operators",
  JSON: "records reach user space as bytes through a RingBuf; bpftsc run and bpftsc/loader decode them",
  Date: "ktimeNs() gives the monotonic time in nanoseconds",
  performance: "ktimeNs() gives the monotonic time in nanoseconds",
  process: "pid(), tid(), uid() and comm() describe the current task",
  setTimeout: NO_RUNTIME, setInterval: NO_RUNTIME, Promise: NO_RUNTIME, require: NO_RUNTIME,
  Buffer: NO_RUNTIME, globalThis: NO_RUNTIME, window: NO_RUNTIME, fetch: NO_RUNTIME,
};

/** TypeScript's codes for "Cannot find name 'x'" (with or without a `lib` hint). */
const CANNOT_FIND_NAME = new Set([2304, 2580, 2581, 2582, 2583, 2584, 2585]);
/** TypeScript's codes for iterating something that has no iterator. */
const ITERATION = new Set([2488, 2495, 2548, 2549, 2569, 2802]);

export function probeMessage(code: number, text: string): string {
  const name = CANNOT_FIND_NAME.has(code) ? /^Cannot find name '([^']+)'/.exec(text)?.[1] : undefined;
  if (name !== undefined && (name in INSTEAD || code !== 2304)) {
    return `'${name}' does not exist in BPF code: ${INSTEAD[name] ?? NO_RUNTIME}. (TS${code})`;
  }
  if (ITERATION.has(code)) return `for...of and spreads (...) iterate, which BPF code cannot: use a counted for loop over the indexes. (TS${code})`;
  return `${text} (TS${code})`;
}
