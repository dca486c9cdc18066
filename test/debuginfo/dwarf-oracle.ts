// Test helpers for the DWARF reader: build C fixtures with gcc/clang, and parse the output
// of independent tools (llvm-dwarfdump, readelf, objdump) into oracles to compare against.
// In: C sources and compiler flags; binaries. Out: binary paths; DIE trees, line tables,
// CFA tables, section/symbol lists as the tools print them.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const SAMPLE = join(FIXTURES, "dwarf-sample.c");
const BUILD = join(tmpdir(), "bpftsc-debuginfo-tests");

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

export function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

export const DWARFDUMP = hasTool("llvm-dwarfdump-14") ? "llvm-dwarfdump-14" : "llvm-dwarfdump";

/** Compiles `src` (a path) with `cc` and flags into a cached binary; returns its path. */
export function build(cc: string, flags: string[], src = SAMPLE, extraSources: string[] = []): string {
  const text = [src, ...extraSources].map((s) => readFileSync(s, "utf8")).join("\n//--\n");
  const key = createHash("sha256").update([cc, ...flags, text, src].join("\0")).digest("hex").slice(0, 16);
  mkdirSync(BUILD, { recursive: true });
  const out = join(BUILD, `${cc}-${key}${flags.includes("-c") ? ".o" : ""}`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    run(cc, [...flags, "-o", tmp, src, ...extraSources]);
    renameSync(tmp, out);
  }
  return out;
}

/** Writes a generated C source into the build directory; returns its path. */
export function writeSource(name: string, text: string): string {
  mkdirSync(BUILD, { recursive: true });
  const p = join(BUILD, name);
  if (!existsSync(p) || readFileSync(p, "utf8") !== text) writeFileSync(p, text);
  return p;
}

/** The 1-based line of the sample source that contains `marker`. */
export function lineOf(marker: string, src = SAMPLE): number {
  const lines = readFileSync(src, "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not found in ${src}`);
  return i + 1;
}

// ---- llvm-dwarfdump --debug-info ---------------------------------------------------------

export interface ODie {
  offset: number;
  tag: string;
  attrs: Map<string, string>;
  children: ODie[];
  parent: ODie | undefined;
}

export interface OTree {
  roots: ODie[];
  byOffset: Map<number, ODie>;
  /** DWARF version of each unit, by the unit DIE's offset. */
  versions: number[];
}

/** Parses `llvm-dwarfdump --debug-info` into DIE trees (NULL entries close a level). */
export function dwarfdumpTree(bin: string): OTree {
  const text = run(DWARFDUMP, ["--debug-info", bin]);
  const roots: ODie[] = [];
  const byOffset = new Map<number, ODie>();
  const versions: number[] = [];
  const stack: { die: ODie; indent: number }[] = [];
  let current: ODie | undefined;
  let pendingAttr: { name: string; value: string; depth: number } | undefined;
  const finishAttr = (): void => {
    if (pendingAttr && current) current.attrs.set(pendingAttr.name, pendingAttr.value.replace(/\)\s*$/, ""));
    pendingAttr = undefined;
  };
  for (const line of text.split("\n")) {
    if (pendingAttr) {
      pendingAttr.value += "\n" + line.trim();
      pendingAttr.depth += parenDelta(line);
      if (pendingAttr.depth <= 0) finishAttr();
      continue;
    }
    const unit = /Compile Unit: .*version = 0x([0-9a-f]+)/.exec(line);
    if (unit) {
      versions.push(parseInt(unit[1]!, 16));
      stack.length = 0;
      continue;
    }
    const m = /^0x([0-9a-f]+):(\s+)(DW_TAG_\w+|NULL)/.exec(line);
    if (m) {
      const indent = m[2]!.length;
      while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
      if (m[3] === "NULL") {
        current = undefined;
        continue;
      }
      const parent = stack[stack.length - 1]?.die;
      const die: ODie = { offset: parseInt(m[1]!, 16), tag: m[3]!, attrs: new Map(), children: [], parent };
      if (parent) parent.children.push(die);
      else roots.push(die);
      byOffset.set(die.offset, die);
      stack.push({ die, indent });
      current = die;
      continue;
    }
    const a = /^\s+(DW_AT_\w+)\s+\((.*)$/.exec(line);
    if (a && current) {
      pendingAttr = { name: a[1]!, value: a[2]!, depth: 1 + parenDelta(a[2]!) };
      if (pendingAttr.depth <= 0) finishAttr();
    }
  }
  return { roots, byOffset, versions };
}

/** Net "(" minus ")" outside strings, not counting the ")" of "[lo, hi)" ranges. */
function parenDelta(s: string): number {
  let d = 0;
  let inStr = false;
  let inRange = false;
  for (const ch of s) {
    if (ch === '"') inStr = !inStr;
    else if (inStr) continue;
    else if (ch === "[") inRange = true;
    else if (ch === "(") d++;
    else if (ch === ")") {
      if (inRange) inRange = false;
      else d--;
    }
  }
  return d;
}

export function walk(t: OTree, f: (d: ODie) => void): void {
  const go = (d: ODie): void => {
    f(d);
    d.children.forEach(go);
  };
  t.roots.forEach(go);
}

/** A string attribute: `("x")` → x. */
export function oName(d: ODie): string | undefined {
  const v = d.attrs.get("DW_AT_name");
  return v === undefined ? undefined : /^"(.*)"$/.exec(v)?.[1];
}

/** A reference attribute: `(0x0000002a "long int")` → 0x2a. */
export function oRef(d: ODie, at: string): number | undefined {
  const v = d.attrs.get(at);
  const m = v && /^0x([0-9a-f]+)/.exec(v);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** A constant attribute: `(0x08)` → 8, `(12)` → 12. */
export function oNum(d: ODie, at: string): number | undefined {
  const v = d.attrs.get(at);
  if (v === undefined) return undefined;
  const m = /^(0x[0-9a-f]+|-?\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

export function oAddr(d: ODie, at: string): bigint | undefined {
  const v = d.attrs.get(at);
  const m = v && /^0x([0-9a-f]+)/.exec(v);
  return m ? BigInt("0x" + m[1]) : undefined;
}

/** The out-of-line definition of a function: a subprogram with code named directly or through its origin. */
export function oFunction(t: OTree, name: string): ODie | undefined {
  let found: ODie | undefined;
  walk(t, (d) => {
    if (found || d.tag !== "DW_TAG_subprogram" || !d.attrs.has("DW_AT_low_pc")) return;
    const n = oName(d) ?? nameThroughOrigin(t, d);
    if (n === name) found = d;
  });
  return found;
}

function nameThroughOrigin(t: OTree, d: ODie): string | undefined {
  const o = oRef(d, "DW_AT_abstract_origin") ?? oRef(d, "DW_AT_specification");
  const od = o === undefined ? undefined : t.byOffset.get(o);
  return od ? oName(od) ?? nameThroughOrigin(t, od) : undefined;
}

export function oVarName(t: OTree, d: ODie): string | undefined {
  return oName(d) ?? nameThroughOrigin(t, d);
}

/** The DIE holding a variable's type: itself or its abstract origin. */
export function oTypeRef(t: OTree, d: ODie): number | undefined {
  const r = oRef(d, "DW_AT_type");
  if (r !== undefined) return r;
  const o = oRef(d, "DW_AT_abstract_origin");
  const od = o === undefined ? undefined : t.byOffset.get(o);
  return od ? oTypeRef(t, od) : undefined;
}

/** The expected CType spelling of a type DIE as llvm-dwarfdump shows it: u8..i64, bool, Ptr<x>, struct names, arrays. */
export function oTypeString(t: OTree, off: number | undefined, depth = 0): string {
  if (off === undefined) return "void";
  const d = t.byOffset.get(off);
  if (!d || depth > 20) return "?";
  switch (d.tag) {
    case "DW_TAG_base_type": {
      const size = oNum(d, "DW_AT_byte_size")!;
      const enc = d.attrs.get("DW_AT_encoding");
      if (enc === "DW_ATE_boolean") return "bool";
      if (size > 8) return `FixedArray<u8, ${size}>`;
      const signed = enc === "DW_ATE_signed" || enc === "DW_ATE_signed_char";
      return `${signed ? "i" : "u"}${size * 8}`;
    }
    case "DW_TAG_typedef": {
      const target = t.byOffset.get(oRef(d, "DW_AT_type")!);
      if (target && (target.tag === "DW_TAG_structure_type" || target.tag === "DW_TAG_union_type") && !oName(target)) return oName(d)!;
      return oTypeString(t, oRef(d, "DW_AT_type"), depth + 1);
    }
    case "DW_TAG_const_type": case "DW_TAG_volatile_type": case "DW_TAG_restrict_type":
      return oTypeString(t, oRef(d, "DW_AT_type"), depth + 1);
    case "DW_TAG_pointer_type": {
      const to = oRef(d, "DW_AT_type");
      const target = to === undefined ? undefined : t.byOffset.get(to);
      if (target?.tag === "DW_TAG_subroutine_type") return "Ptr<void>";
      return `Ptr<${oTypeString(t, to, depth + 1)}>`;
    }
    case "DW_TAG_structure_type": case "DW_TAG_union_type": return oName(d) ?? "anon";
    case "DW_TAG_enumeration_type": {
      const size = oNum(d, "DW_AT_byte_size")!;
      const under = oRef(d, "DW_AT_type");
      if (under !== undefined) return oTypeString(t, under, depth + 1);
      const neg = d.children.some((e) => (oNum(e, "DW_AT_const_value") ?? 0) < 0);
      return `${neg ? "i" : "u"}${size * 8}`;
    }
    case "DW_TAG_array_type": {
      const elem = oTypeString(t, oRef(d, "DW_AT_type"), depth + 1);
      const dims = d.children.filter((c) => c.tag === "DW_TAG_subrange_type").map((c) => {
        const count = oNum(c, "DW_AT_count");
        if (count !== undefined) return count;
        const ub = oNum(c, "DW_AT_upper_bound");
        return ub === undefined ? 0 : ub + 1;
      });
      let s = elem;
      const isChar = elem === "i8" || elem === "u8";
      for (let i = dims.length - 1; i >= 0; i--) s = i === dims.length - 1 && isChar ? `Chars<${dims[i]}>` : `FixedArray<${s}, ${dims[i]}>`;
      return s;
    }
    default: return "void";
  }
}

// ---- location expressions as llvm-dwarfdump prints them -------------------------------------

export interface OLocEntry {
  lo?: bigint;
  hi?: bigint;
  ops: string;
}

/** A DW_AT_location value: a single expression, or a list of `[lo, hi): ops` entries. */
export function oLocation(d: ODie): { list: boolean; entries: OLocEntry[] } | undefined {
  const v = d.attrs.get("DW_AT_location");
  if (v === undefined) {
    // A variable with a known constant value instead of a location.
    const c = d.attrs.get("DW_AT_const_value");
    return c !== undefined && /^-?\d+$/.test(c) ? { list: false, entries: [{ ops: `DW_OP_consts ${c}, DW_OP_stack_value` }] } : undefined;
  }
  const lines = v.split("\n").map((l) => l.trim()).filter(Boolean);
  const isList = /^(0x[0-9a-f]+:|indexed \()/.test(lines[0]!);
  if (!isList) return { list: false, entries: [{ ops: v.trim() }] };
  const entries: OLocEntry[] = [];
  for (const l of lines.slice(1)) {
    const m = /^\[0x([0-9a-f]+), 0x([0-9a-f]+)\): (.*)$/.exec(l);
    if (m) entries.push({ lo: BigInt("0x" + m[1]), hi: BigInt("0x" + m[2]), ops: m[3]!.replace(/\)$/, "") });
    else if (/^<default>: /.test(l)) entries.push({ ops: l.replace(/^<default>: /, "").replace(/\)$/, "") });
  }
  return { list: true, entries };
}

const REGS = ["RAX", "RDX", "RCX", "RBX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"];

/** The LocExpr that an llvm-dwarfdump operation string should classify as (a test-side spelling). */
export function oExpectedLoc(ops: string): Record<string, unknown> {
  let m: RegExpExecArray | null;
  if ((m = /^DW_OP_reg(\d+) \w+$/.exec(ops))) return { kind: "reg", reg: Number(m[1]) };
  // AArch64's v registers (DWARF 64-95), which llvm-dwarfdump 14 calls B0-B31.
  if ((m = /^DW_OP_regx [BHSDQ](\d+)$/.exec(ops))) return { kind: "reg", reg: 64 + Number(m[1]) };
  if ((m = /^DW_OP_regx (\w+)$/.exec(ops))) return { kind: "reg", reg: REGS.indexOf(m[1]!) };
  if ((m = /^DW_OP_breg(\d+) \w+([+-]\d+)(, DW_OP_deref)?$/.exec(ops))) return { kind: "breg", reg: Number(m[1]), offset: BigInt(m[2]!), deref: !!m[3] };
  if ((m = /^DW_OP_fbreg ([+-]?\d+)$/.exec(ops))) return { kind: "fbreg", offset: BigInt(m[1]!) };
  if (ops === "DW_OP_call_frame_cfa") return { kind: "cfa" };
  if ((m = /^DW_OP_addr 0x([0-9a-f]+)$/.exec(ops))) return { kind: "addr", addr: BigInt("0x" + m[1]) };
  if ((m = /^DW_OP_lit(\d+), DW_OP_stack_value$/.exec(ops))) return { kind: "value", value: BigInt(m[1]!) };
  if ((m = /^DW_OP_const\w* ([+-]?(?:0x[0-9a-f]+|\d+)), DW_OP_stack_value$/.exec(ops))) return { kind: "value", value: BigInt(m[1]!.replace("+", "")) };
  if ((m = /^DW_OP_(?:GNU_)?entry_value\(DW_OP_reg(\d+) \w+\), DW_OP_stack_value$/.exec(ops))) return { kind: "entry_value", reg: Number(m[1]) };
  return { kind: "unsupported" };
}

// ---- llvm-dwarfdump --debug-line -------------------------------------------------------------

export interface ORow {
  addr: bigint;
  line: number;
  file: number;
  isStmt: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
}

export interface OLineTable {
  files: Map<number, string>;
  rows: ORow[];
}

export function dwarfdumpLines(bin: string): OLineTable[] {
  const text = run(DWARFDUMP, ["--debug-line", bin]);
  const tables: OLineTable[] = [];
  let t: OLineTable | undefined;
  let fileIdx: number | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("debug_line[")) {
      t = { files: new Map(), rows: [] };
      tables.push(t);
      continue;
    }
    if (!t) continue;
    let m = /^file_names\[\s*(\d+)\]:?/.exec(line);
    if (m) {
      fileIdx = Number(m[1]);
      const inline = /name: "(.*)"/.exec(line) ?? /file_names\[\s*\d+\]\s+\d+\s+\S+\s+\S+\s+(.*)$/.exec(line);
      if (inline) t.files.set(fileIdx, inline[1]!);
      continue;
    }
    m = /^\s+name: "(.*)"/.exec(line);
    if (m && fileIdx !== undefined) {
      t.files.set(fileIdx, m[1]!);
      continue;
    }
    m = /^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s*(.*)$/.exec(line);
    if (m) {
      const flags = m[5]!;
      t.rows.push({
        addr: BigInt("0x" + m[1]), line: Number(m[2]), file: Number(m[4]),
        isStmt: flags.includes("is_stmt"), endSequence: flags.includes("end_sequence"), prologueEnd: flags.includes("prologue_end"),
      });
    }
  }
  return tables;
}

/** The first is_stmt address of each run of consecutive rows of `line` in files named `base`. */
export function oLineRunStarts(tables: OLineTable[], base: string, line: number): bigint[] {
  const out = new Set<bigint>();
  for (const t of tables) {
    const files = new Set([...t.files].filter(([, n]) => n.split("/").pop() === base).map(([i]) => i));
    let inRun = false;
    let got = false;
    for (const r of t.rows) {
      const match = !r.endSequence && r.line === line && files.has(r.file);
      if (!match) {
        inRun = false;
        continue;
      }
      if (!inRun) {
        inRun = true;
        got = false;
      }
      if (r.isStmt && !got) {
        got = true;
        out.add(r.addr);
      }
    }
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---- readelf --debug-dump=frames-interp ------------------------------------------------------

export interface OFde {
  lo: bigint;
  hi: bigint;
  /** Rows: address and CFA ("rsp+8", "rbp+16", "exp"). Empty when the FDE only inherits the CIE's row. */
  rows: { loc: bigint; cfa: string }[];
  /** The CIE's initial CFA ("rsp+8"). */
  cieCfa: string;
}

export function framesInterp(bin: string): OFde[] {
  const text = run("readelf", ["--debug-dump=frames-interp", "-W", bin]);
  const fdes: OFde[] = [];
  const cieCfa = new Map<string, string>();
  let cur: OFde | undefined;
  let curCie: string | undefined;
  for (const line of text.split("\n")) {
    let m = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ CIE/.exec(line);
    if (m) {
      cur = undefined;
      curCie = m[1]!;
      continue;
    }
    m = /^[0-9a-f]+ [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (m) {
      curCie = undefined;
      cur = { lo: BigInt("0x" + m[2]), hi: BigInt("0x" + m[3]), rows: [], cieCfa: cieCfa.get(m[1]!) ?? "" };
      fdes.push(cur);
      continue;
    }
    m = /^([0-9a-f]{16}) (\S+)/.exec(line);
    if (m && !line.includes("CIE") && !line.includes("FDE")) {
      if (cur) cur.rows.push({ loc: BigInt("0x" + m[1]), cfa: m[2]! });
      else if (curCie !== undefined && !cieCfa.has(curCie)) cieCfa.set(curCie, m[2]!);
    }
    if (/^Contents of the/.test(line)) {
      cieCfa.clear();
      cur = undefined;
    }
  }
  return fdes;
}

const RNAMES: Record<string, number> = { rax: 0, rdx: 1, rcx: 2, rbx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 };

/** "rbp+16" → { reg: 6, offset: 16n }; "exp" → undefined. */
export function parseCfa(s: string): { reg: number; offset: bigint } | undefined {
  const m = /^(\w+)([+-]\d+)$/.exec(s);
  if (!m || RNAMES[m[1]!] === undefined) return undefined;
  return { reg: RNAMES[m[1]!]!, offset: BigInt(m[2]!) };
}

/** The CFA the oracle gives at pc: the last row at or before pc of the FDE covering it. */
export function oCfaAt(fdes: OFde[], pc: bigint): string | undefined {
  const f = fdes.find((x) => pc >= x.lo && pc < x.hi);
  if (!f) return undefined;
  let cfa = f.cieCfa;
  for (const r of f.rows) if (r.loc <= pc) cfa = r.cfa;
  return cfa;
}

/** A DIE's pc ranges: DW_AT_low_pc/high_pc, or the entries llvm-dwarfdump lists under DW_AT_ranges. */
export function oRanges(d: ODie): [bigint, bigint][] {
  const lo = oAddr(d, "DW_AT_low_pc");
  if (lo !== undefined) {
    const hi = oAddr(d, "DW_AT_high_pc");
    return hi === undefined ? [] : [[lo, hi]];
  }
  const v = d.attrs.get("DW_AT_ranges");
  if (!v) return [];
  return [...v.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\)/g)].map((m) => [BigInt("0x" + m[1]), BigInt("0x" + m[2])]);
}

/** Names visible at pc in an oracle subprogram: innermost lexical block first, then params; shadowed names once. */
export function oVisibleAt(t: OTree, fn: ODie, pc: bigint): ODie[] {
  const chain: ODie[] = [fn];
  let cur = fn;
  for (;;) {
    const inner = cur.children.find((c) => c.tag === "DW_TAG_lexical_block" && oRanges(c).some(([lo, hi]) => pc >= lo && pc < hi));
    if (!inner) break;
    chain.push(inner);
    cur = inner;
  }
  const out: ODie[] = [];
  const seen = new Set<string>();
  const add = (d: ODie): void => {
    const n = oVarName(t, d) ?? "";
    if (seen.has(n)) return;
    seen.add(n);
    out.push(d);
  };
  for (let i = chain.length - 1; i >= 0; i--) {
    for (const c of chain[i]!.children) if (c.tag === "DW_TAG_variable" && !c.attrs.has("DW_AT_declaration")) add(c);
  }
  for (const c of fn.children) if (c.tag === "DW_TAG_formal_parameter") add(c);
  return out;
}
