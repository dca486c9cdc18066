// `bpftsc run`'s text output, for people, laid out as bpftrace prints:
//   - a record per line as it arrives, `{ pid: 1234, comm: "bash" }` (prefixed by its
//     ring buffer's name, `events: {...}`, when the object has more than one);
//   - at the end, a blank line, then each map as `@name[key]: value` lines followed by a
//     blank line: hash maps of integers sorted by value, smallest first (the largest
//     counts end up next to the prompt, as bpftrace sorts), others by key; array maps by
//     index, leaving out the slots that are all zero (they are the keys a bpftrace map
//     would not have); per-CPU values added up; a Log2Hist or a LinearHist as `@name: `
//     over bpftrace's histogram drawing; a stack trace map as `@name[id]:` per stack, then a frame per
//     line, indented as bpftrace indents a stack, its symbol (`do_syscall_64+0x7f`)
//     or its address in hex; an empty map not at all;
//   - then each setting and global as `name: value`;
//   - every interval (-i), the time as HH:MM:SS, then the maps.
// Structs print as `{ field: value, ... }`, Chars as quoted strings, FixedArrays as
// `[a, b]`, the raw bytes of a value without BTF as 0x-prefixed hex.
// In: records, map and global snapshots. Out: the text.

import { LOG2_HIST_TAG, parseLinearHistTag } from "../compiler/object/object-btf.js";
import type { Value } from "./btf-codec.js";
import { drawLinearHist, drawLog2Hist } from "./hist.js";
import type { Printer } from "./printer.js";
import { batchFormatter, type Style } from "./record-format.js";
import type { MapEntry, MapSnapshot } from "./snapshot.js";
import type { Frame } from "./symbolize.js";

function formatValue(v: Value): string {
  switch (typeof v) {
    case "string": return JSON.stringify(v);
    case "object":
      if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
      if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
      {
        const fields = Object.entries(v);
        return fields.length === 0 ? "{}" : `{ ${fields.map(([k, x]) => `${k}: ${formatValue(x)}`).join(", ")} }`;
      }
    default: return String(v);
  }
}

const TEXT: Style = { open: "{ ", close: " }", separator: ", ", key: (name) => `${name}: `, bigint: String, value: formatValue };

/** The text printer for an object whose event sources are `sources`. */
export function textPrinter(sources: readonly string[]): Printer {
  return {
    events: batchFormatter(TEXT, (source) => [sources.length > 1 ? `${source}: ` : "", ""]),
    interval: (at, maps) => `${clock(at)}\n${mapBlocks(maps)}`,
    end: (maps, globals) => `\n${mapBlocks(maps)}${globals.map((g) => `${g.name}: ${formatValue(g.value)}\n`).join("")}`,
  };
}

function clock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

function mapBlocks(maps: readonly MapSnapshot[]): string {
  return maps.map(mapBlock).filter((b) => b !== "").map((b) => `${b}\n`).join("");
}

function mapBlock(m: MapSnapshot): string {
  const linear = m.tags.map(parseLinearHistTag).find((h) => h !== undefined);
  if (m.tags.includes(LOG2_HIST_TAG) || linear) {
    const counts = m.entries.map((e) => (typeof e.value === "bigint" || typeof e.value === "number" ? e.value : 0));
    const drawing = linear ? drawLinearHist(counts, linear) : drawLog2Hist(counts);
    return drawing && `@${m.name}: \n${drawing}`;
  }
  if (m.stacks) return m.entries.map((e) => `@${m.name}[${formatValue(e.key)}]:\n${(e.frames ?? []).map(formatFrame).join("")}`).join("");
  const entries = m.array ? m.entries.filter((e) => !isZero(e.value)) : sorted(m.entries);
  return entries.map((e) => `@${m.name}[${formatValue(e.key)}]: ${formatValue(e.value)}\n`).join("");
}

function formatFrame(f: Frame): string {
  return `    ${f.symbol ?? `0x${f.address.toString(16)}`}\n`;
}

function sorted(entries: readonly MapEntry[]): MapEntry[] {
  const byValue = entries.every((e) => isInteger(e.value));
  return [...entries].sort((a, b) => (byValue ? compare(a.value, b.value) : 0) || compare(a.key, b.key));
}

function isInteger(v: Value): v is number | bigint {
  return typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v));
}

/** Integers numerically, anything else by its text. */
function compare(a: Value, b: Value): number {
  if (isInteger(a) && isInteger(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = formatValue(a), y = formatValue(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isZero(v: Value): boolean {
  if (typeof v === "object") return v instanceof Uint8Array ? v.every((b) => b === 0) : Object.values(v).every(isZero);
  return !v;
}
