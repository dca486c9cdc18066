// `bpftsc run --json`: one JSON object per line.
// In: records, map and global snapshots. Out: lines
//   {"event":MAP,"value":RECORD}                     per record, as it arrives
//   {"time":ISO-8601}                                heading each interval's maps (-i)
//   {"map":NAME,"entries":[{"key":K,"value":V},...]}  per map (per-CPU: V is one per CPU;
//                                                    a stack trace map: V is the stack's
//                                                    frames, [{"address":A,"symbol":S}, ...],
//                                                    S when known)
//   {"global":NAME,"value":V}                        per setting and global
// Integers are JSON numbers when |v| < 2^53, else decimal strings; structs are objects
// keyed by field name; Chars strings up to the first NUL; FixedArrays arrays; the raw
// bytes of a value without BTF a hex string.

import type { Value } from "./btf-codec.js";
import type { Printer } from "./printer.js";
import { batchFormatter, type Style } from "./record-format.js";
import type { GlobalSnapshot, MapSnapshot } from "./snapshot.js";
import type { Frame } from "./symbolize.js";

const SAFE = 2n ** 53n;

type Json = number | string | boolean | Json[] | { [field: string]: Json };

function toJson(v: Value): Json {
  if (typeof v === "bigint") return v < SAFE && v > -SAFE ? Number(v) : v.toString();
  if (typeof v !== "object") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (Array.isArray(v)) return v.map(toJson);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
}

const line = (o: Json): string => `${JSON.stringify(o)}\n`;

/** A bigint as JSON; up to 15 characters it is below 10^15 < 2^53 in magnitude, which
 *  spares the comparisons for most values. */
const bigint = (v: bigint): string => {
  const s = String(v);
  return s.length <= 15 || (v < SAFE && v > -SAFE) ? s : `"${s}"`;
};
const JSON_STYLE: Style = { open: "{", close: "}", separator: ",", key: (name) => `${JSON.stringify(name)}:`, bigint, value: (v) => JSON.stringify(toJson(v)) };

/** A JSON printer (each keeps the record formatters it compiles, one per source). */
export function jsonPrinter(): Printer {
  return {
    events: batchFormatter(JSON_STYLE, (source) => [`{"event":${JSON.stringify(source)},"value":`, "}"]),
    interval: (at, maps) => line({ time: at.toISOString() }) + mapLines(maps),
    end: (maps, globals) => mapLines(maps) + globalLines(globals),
  };
}

function mapLines(maps: readonly MapSnapshot[]): string {
  return maps.map((m) => line({ map: m.name, entries: m.entries.map((e) => ({ key: toJson(e.key), value: e.frames ? e.frames.map(frameJson) : toJson(e.perCpu ?? e.value) })) })).join("");
}

function frameJson(f: Frame): Json {
  return f.symbol === undefined ? { address: toJson(f.address) } : { address: toJson(f.address), symbol: f.symbol };
}

function globalLines(globals: readonly GlobalSnapshot[]): string {
  return globals.map((g) => line({ global: g.name, value: toJson(g.value) })).join("");
}
