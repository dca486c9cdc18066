// Reads a tracepoint's record layout from tracefs.
// In: a category and event name. Out: the event's fields (name, offset, size,
// signedness, whether it is a pointer, an array, or variable-length data found through a
// __data_loc/__rel_loc word), parsed from events/<cat>/<event>/format.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface TracepointField {
  name: string;
  /** The C type as the format spells it, e.g. "const char *". */
  cType: string;
  offset: number;
  size: number;
  signed: boolean;
  isPointer: boolean;
  /** A fixed-size array in the record (`__u8 saddr[4]`). */
  isArray?: boolean;
  /** Variable-length data elsewhere in the record: the field is a u32 whose low 16 bits
   *  are the data's offset, from the record's start (`data`, __data_loc) or from the
   *  field's end (`rel`, __rel_loc), and whose high 16 bits its length. */
  loc?: "data" | "rel";
}

/** Where tracefs is looked for: $BPFTSC_TRACEFS if set, else the usual mount points. */
export function tracefsRoots(): string[] {
  const env = process.env.BPFTSC_TRACEFS;
  return env ? [env] : ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
}

/** Where the format file is, or undefined when tracefs is not mounted / the event is unknown. */
export function formatPath(category: string, event: string, roots = tracefsRoots()): string | undefined {
  for (const root of roots) {
    const p = join(root, "events", category, event, "format");
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function parseFormat(text: string): TracepointField[] {
  const fields: TracepointField[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*field:\s*(.+?);\s*offset:\s*(\d+);\s*size:\s*(\d+);\s*signed:\s*(\d+);/.exec(line);
    if (!m) continue;
    const decl = m[1].trim();
    const nm = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!nm) continue;
    const cType = decl.slice(0, nm.index).trim();
    const loc = /^__data_loc\b/.test(cType) ? "data" : /^__rel_loc\b/.test(cType) ? "rel" : undefined;
    fields.push({
      name: nm[1], cType: nm[2] ? `${cType}${nm[2]}` : cType, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === "1",
      isPointer: !loc && cType.includes("*"), isArray: !loc && nm[2] !== undefined, loc,
    });
  }
  return fields;
}

export function readTracepointFormat(category: string, event: string): TracepointField[] | undefined {
  const p = formatPath(category, event);
  return p ? parseFormat(readFileSync(p, "utf8")) : undefined;
}
