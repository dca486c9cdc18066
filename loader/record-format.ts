// Formatting ring-buffer records at the rate they arrive. Every record of one ring
// decodes to an object of one shape (one codec: the same fields, each always a bigint, a
// number, a boolean or a string), so a formatter is compiled once per ring from its first
// record: the fields' names and texts concatenated in one expression, each field
// formatted by the function for its kind, nested values by the printer's general one.
// In: a sample record and a Style (text or JSON). Out: a function from a record to its
// text; for a record that is not a struct, the general formatter itself.

import type { Value } from "./btf-codec.js";

export interface Style {
  open: string;
  close: string;
  separator: string;
  /** The text before a field's value ("pid: ", "\"pid\":"). */
  key(name: string): string;
  bigint(v: bigint): string;
  /** Any value, nested ones included. */
  value(v: Value): string;
}

export function recordFormatter(sample: Value, style: Style): (record: Value) => string {
  if (typeof sample !== "object" || Array.isArray(sample) || sample instanceof Uint8Array) return style.value;
  const names = Object.keys(sample);
  if (names.length === 0) return style.value;
  const formats = names.map((n): ((v: never) => string) => {
    switch (typeof sample[n]) {
      case "bigint": return style.bigint;
      case "number": case "boolean": return String;
      case "string": return JSON.stringify;
      default: return style.value;
    }
  });
  // Only JSON-quoted names and field indexes reach the generated text.
  const parts = names.map((n, i) => `${JSON.stringify(style.key(n))} + f[${i}](r[${JSON.stringify(n)}])`);
  const body = `return (r) => ${JSON.stringify(style.open)} + ${parts.join(` + ${JSON.stringify(style.separator)} + `)} + ${JSON.stringify(style.close)};`;
  return new Function("f", body)(formats) as (record: Value) => string;
}

/** Formats batches of records, one per line between the texts `around(source)` gives,
 *  compiling a formatter per source on its first record. */
export function batchFormatter(style: Style, around: (source: string) => [string, string]): (source: string, records: readonly Value[]) => string {
  const formatters = new Map<string, { format: (record: Value) => string; before: string; after: string }>();
  return (source, records) => {
    if (records.length === 0) return "";
    let f = formatters.get(source);
    if (!f) {
      const [before, after] = around(source);
      formatters.set(source, (f = { format: recordFormatter(records[0]!, style), before, after: `${after}\n` }));
    }
    let out = "";
    for (const r of records) out += f.before + f.format(r) + f.after;
    return out;
  };
}
