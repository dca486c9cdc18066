// How `bpftsc run` prints: text for people (print-text.ts, bpftrace's layout) or JSON
// lines for programs (print-json.ts). A printer turns what the run sees into text; the
// caller writes it, so each batch of records reaches a pipe as it arrives.
// In: records by event source, map and global snapshots. Out: strings.

import type { Value } from "./btf-codec.js";
import type { GlobalSnapshot, MapSnapshot } from "./snapshot.js";

export interface Printer {
  /** Records of one event source (a ring buffer) as they arrive, one line each. */
  events(source: string, records: readonly Value[]): string;
  /** The maps printed every interval (-i), headed by the time. */
  interval(at: Date, maps: readonly MapSnapshot[]): string;
  /** What a run prints when it ends: every map, then every setting and global. */
  end(maps: readonly MapSnapshot[], globals: readonly GlobalSnapshot[]): string;
}
