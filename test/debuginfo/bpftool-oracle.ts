// The independent oracle for BTF tests: runs `bpftool btf dump file <f> format raw` and
// parses its text into plain records.
// In: a BTF file path. Out: Map from type id to the fields bpftool printed, or undefined
// when bpftool is not installed.

import { execFileSync } from "node:child_process";

export interface OracleType {
  id: number;
  kind: string;           // "INT", "STRUCT", ... as bpftool prints it
  name: string;           // "" for '(anon)'
  attrs: Record<string, string>;   // key=value pairs on the type's line
  /** Indented lines: members, params, enum values, datasec vars. */
  items: { name: string; attrs: Record<string, string> }[];
}

export function hasBpftool(): boolean {
  try {
    execFileSync("bpftool", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function attrsOf(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-z_]+)=(\([^)]*\)|[^\s,]+)/g)) out[m[1]] = m[2];
  return out;
}

export function parseBpftoolRaw(text: string): Map<number, OracleType> {
  const types = new Map<number, OracleType>();
  let cur: OracleType | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) {
      const m = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
      if (!m) throw new Error(`unparsed bpftool line: ${line}`);
      cur = { id: Number(m[1]), kind: m[2], name: m[3] === "(anon)" ? "" : m[3], attrs: attrsOf(m[4]), items: [] };
      types.set(cur.id, cur);
    } else if (line.startsWith("\t") && cur) {
      const m = /^\t'([^']*)'(.*)$/.exec(line);
      if (m) cur.items.push({ name: m[1] === "(anon)" ? "" : m[1], attrs: attrsOf(m[2]) });
      else {
        // DATASEC: "type_id=5234 offset=0 size=4096 (VAR 'cpu_debug_store')"
        cur.items.push({ name: "", attrs: attrsOf(line.replace(/\(VAR '[^']*'\)/, "")) });
      }
    }
  }
  return types;
}

export function bpftoolRaw(path: string): Map<number, OracleType> {
  const text = execFileSync("bpftool", ["btf", "dump", "file", path, "format", "raw"], {
    encoding: "utf8", maxBuffer: 1 << 30,
  });
  return parseBpftoolRaw(text);
}

/** Finds a type by kind and name in the oracle (the first, by id). */
export function oracleFind(types: Map<number, OracleType>, kind: string, name: string): OracleType | undefined {
  for (const t of types.values()) if (t.kind === kind && t.name === name) return t;
  return undefined;
}

/** The oracle's view of a struct with anonymous members flattened: name -> byte offset
 *  and whether it is a bitfield, computed from bpftool's bits_offset/bitfield_size. */
export function oracleFlatten(types: Map<number, OracleType>, id: number, base = 0, out = new Map<string, { offset: number; bitfield: boolean }>()) {
  const t = types.get(id)!;
  for (const m of t.items) {
    const bits = base + Number(m.attrs.bits_offset);
    if (m.name === "") {
      let target = types.get(Number(m.attrs.type_id))!;
      while (["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"].includes(target.kind)) {
        target = types.get(Number(target.attrs.type_id))!;
      }
      if (target.kind === "STRUCT" || target.kind === "UNION") oracleFlatten(types, target.id, bits, out);
      continue;
    }
    out.set(m.name, { offset: Math.floor(bits / 8), bitfield: m.attrs.bitfield_size !== undefined || bits % 8 !== 0 });
  }
  return out;
}
