// `bpftsc run --set NAME=VALUE`: load-time settings changed before load.
// In: the opened object's Globals and the --set texts. Out: nothing, or the reason it is
// bad usage: an unknown name, a global that is not a setting, a value that does not parse
// or does not fit the setting's type (each message names the settings there are).
// A value is read by the setting's current value's kind: an integer (decimal or 0x hex,
// negative allowed), a bool (true/false/1/0), a Chars string as it is, a struct or an
// array as JSON whose integers may be numbers or strings (beyond 2^53).

import { EncodeError, type Globals, type Value } from "../loader/index.js";

export function applySettings(globals: Globals, sets: readonly { name: string; text: string }[]): string | undefined {
  const all = globals.list();
  const settings = all.filter((g) => g.section.startsWith(".rodata")).map((g) => g.name);
  const known = settings.length ? `settings: ${settings.join(", ")}` : "the probe has no settings";
  for (const { name, text } of sets) {
    if (!settings.includes(name)) {
      const what = all.some((g) => g.name === name) ? `'${name}' is a global, not a load-time setting` : `no setting '${name}'`;
      return `--set ${name}: ${what} (${known})`;
    }
    const parsed = parse(text, globals.get(name) as Value);
    if ("error" in parsed) return `--set ${name}=${text}: ${parsed.error} (${known})`;
    try {
      globals.set(name, parsed.value as Value);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      return `--set ${name}=${text}: ${e.message} (${known})`;
    }
  }
  return undefined;
}

function parse(text: string, like: Value): { value: unknown } | { error: string } {
  if (typeof like === "boolean") {
    if (text === "true" || text === "1") return { value: true };
    if (text === "false" || text === "0") return { value: false };
    return { error: "expected true, false, 1 or 0" };
  }
  if (typeof like === "number" || typeof like === "bigint") {
    const n = integer(text);
    return n === undefined ? { error: "expected an integer (decimal or 0x hex)" } : { value: n };
  }
  if (typeof like === "string") return { value: text };
  try {
    return { value: fromJson(JSON.parse(text), like) };
  } catch {
    return { error: `expected JSON for ${Array.isArray(like) ? "an array" : "a struct"}` };
  }
}

function integer(text: string): bigint | undefined {
  const m = /^(-?)(0x[0-9a-fA-F]+|\d+)$/.exec(text);
  if (!m) return undefined;
  const n = BigInt(m[2]!);
  return m[1] ? -n : n;
}

/** JSON read as the template says: integers may come as strings (bigger than 2^53). */
function fromJson(json: unknown, like: Value): unknown {
  if ((typeof like === "number" || typeof like === "bigint") && (typeof json === "string" || (typeof json === "number" && Number.isInteger(json)))) {
    return typeof json === "string" ? (integer(json) ?? json) : BigInt(json);
  }
  if (Array.isArray(like) && Array.isArray(json)) return json.map((x, i) => fromJson(x, like[i] ?? like[0]!));
  if (typeof like === "object" && !Array.isArray(like) && !(like instanceof Uint8Array) && typeof json === "object" && json !== null && !Array.isArray(json)) {
    return Object.fromEntries(Object.entries(json).map(([k, x]) => [k, k in like ? fromJson(x, like[k]!) : x]));
  }
  return json;
}
