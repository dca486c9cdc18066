// A cache of compiled probe objects, so that `bpftsc run` on an unchanged probe skips the
// TypeScript checker and the compiler, and does not even load them (the compiler is
// imported only on a miss).
// In: the probe file and the compile options. Out: the object and its diagnostics
// (warnings too: they are stored with it), from the cache or from a compile, which is
// then stored.
// An entry is one file, cacheDir()/compiled/<name>.entry, written atomically: a line of
// JSON, then the bytes of the inputs it keeps whole. Its key is the compiler (package
// version; the file this code is in, the bundle, by path, size and mtime, and the
// compiler's bundle beside it by size and mtime), the probe's path, the working
// directory, the compile options (kernel BTF path, architecture) and $BPFTSC_TRACEFS; the
// file is named by a hash of the key (key-hash.ts) and holds the key itself and the
// probe's text, both compared whole. It lists every other file the compile read
// (compile.ts's inputs: imported declarations, runtime types, kernel BTF, tracepoint
// formats, probed binaries) with a stamp: its contents, kept in the entry, when the file
// is at most 1 MiB or reports no size (tracefs, /proc), else device, inode, size and
// mtime. Nothing is hashed: node:crypto would be 2.5 ms of every start. An entry whose
// key, text or stamps no longer match, or that is unreadable, corrupt or of another
// format, is ignored (and replaced). Only successful compiles are stored. Files under
// tracefs are compared when the caller asks, after the lookup (Compiled.confirm).
// With $BPFTSC_CACHE_LOG set, says on stderr whether the cache was used (and when an
// entry it used turned out stale).

import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { tracefsRoots } from "../compiler/frontend/tracefs.js";
import { packageRoot } from "../compiler/package-root.js";
import { CACHE_DIR_MODE, cacheDir } from "./cache-dir.js";
import { keyHash } from "./key-hash.js";

const FORMAT = "bpftsc compiled object 2";
/** The compiler's bundle, beside the one this code is in (scripts/bundle.mjs). */
const COMPILER_BUNDLE = "compiler.cjs";
/** Files up to this size are stamped by their contents. */
const KEPT_UP_TO = 1 << 20;

export interface ProbeCompile {
  fileName: string;
  btfPath?: string;
  arch?: string;
}

export interface Compiled {
  object?: Uint8Array;
  diagnostics: Diagnostic[];
  /** For an object from the cache with tracefs inputs: whether they still match, read
   *  when it is called. Reading a tracefs file waits for the kernel's event_mutex, which
   *  any trace event's registration or removal on the machine holds for tens of ms: the
   *  caller can open the object first and ask last, by when the wait is likelier over.
   *  Until it says true the object is only likely; on false, compile anew (compileProbe
   *  with `refresh`). */
  confirm?: () => boolean;
}

interface Entry {
  format: string;
  key: string;
  source: string;
  /** A stamp is "bytes N" (the file's contents: the next N bytes after the JSON line) or
   *  "stat DEV INO SIZE MTIME". */
  inputs: { path: string; stamp: string }[];
  diagnostics: Diagnostic[];
  /** Base64. */
  object: string;
}

/** Compiles the probe, or takes its object from the cache (`useCache` false: neither
 *  reads nor writes it; `refresh`: compiles and stores, the entry found stale). Throws
 *  what the compiler throws (an internal error). */
export async function compileProbe(req: ProbeCompile, useCache: boolean, refresh = false): Promise<Compiled> {
  const source = readFileSync(req.fileName, "utf8");
  const key = useCache ? entryKey(req) : undefined;
  const file = key && join(cacheDir(), "compiled", `${keyHash(key)}.entry`);
  if (key && file && !refresh) {
    const hit = lookup(file, key, source);
    log(hit ? "hit" : "miss", file);
    if (hit) return hit;
  }
  const { compile } = await import("../compiler/compile.js");
  const r = compile({ fileName: req.fileName, source, btfPath: req.btfPath, arch: req.arch, parallel: true });
  if (key && file && r.object && r.inputs) {
    const kept: Uint8Array[] = [];
    const inputs = r.inputs.map((path) => ({ path, stamp: stamp(path, kept) }));
    // An input that cannot be stamped (gone already) leaves nothing to check the entry by.
    if (inputs.every((i): i is Entry["inputs"][number] => i.stamp !== undefined)) {
      const entry: Entry = { format: FORMAT, key, source, inputs, diagnostics: r.diagnostics, object: Buffer.from(r.object).toString("base64") };
      store(file, Buffer.concat([Buffer.from(`${JSON.stringify(entry)}\n`), ...kept]));
    }
  }
  return { object: r.object, diagnostics: r.diagnostics };
}

function entryKey(req: ProbeCompile): string {
  const bundle = fileURLToPath(import.meta.url);
  return JSON.stringify([
    FORMAT, version(), bundle, bundleStamp(bundle), bundleStamp(join(dirname(bundle), COMPILER_BUNDLE)),
    req.fileName, resolve(req.fileName), process.cwd(),
    req.btfPath === undefined ? "" : resolve(req.btfPath), req.arch ?? process.arch, process.env.BPFTSC_TRACEFS ?? "",
  ]);
}

/** A bundle's size and mtime ("none" when there is none: the compiler outside a bundle). */
function bundleStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size} ${st.mtimeMs}`;
  } catch {
    return "none";
  }
}

function version(): string {
  return String(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version);
}

/** What identifies a file's present contents (contents stamped by their length, pushed
 *  onto `kept`); undefined when it cannot be read. */
function stamp(path: string, kept: Uint8Array[]): string | undefined {
  try {
    const st = statSync(path);
    if (st.size > KEPT_UP_TO) return statStamp(st);
    const bytes = readFileSync(path);
    kept.push(bytes);
    return `bytes ${bytes.length}`;
  } catch {
    return undefined;
  }
}

function statStamp(st: { dev: number; ino: number; size: number; mtimeMs: number }): string {
  return `stat ${st.dev} ${st.ino} ${st.size} ${st.mtimeMs}`;
}

/** Whether every input is as the entry's stamps say (kept contents from `kept`, in
 *  order): false, or the inputs under tracefs, still to be compared (their contents). */
function unchanged(inputs: Entry["inputs"], kept: Buffer): false | { path: string; bytes: Buffer }[] {
  const later: { path: string; bytes: Buffer }[] = [];
  const tracefs = tracefsRoots().map((root) => `${resolve(root)}/`);
  let at = 0;
  for (const { path, stamp } of inputs) {
    const bytes = /^bytes (\d+)$/.exec(stamp);
    try {
      if (!bytes) {
        if (statStamp(statSync(path)) !== stamp) return false;
        continue;
      }
      const n = Number(bytes[1]);
      if (at + n > kept.length) return false;
      const was = kept.subarray(at, at + n);
      at += n;
      if (tracefs.some((root) => path.startsWith(root))) later.push({ path, bytes: was });
      else if (!holds(path, was)) return false;
    } catch {
      return false; // gone
    }
  }
  return at === kept.length && later;
}

/** Whether the file still holds these bytes. */
function holds(path: string, bytes: Buffer): boolean {
  try {
    return readFileSync(path).equals(bytes);
  } catch {
    return false; // gone
  }
}

function lookup(file: string, key: string, source: string): Compiled | undefined {
  try {
    const raw = readFileSync(file);
    const line = raw.indexOf(10);
    if (line < 0) return undefined;
    const e = JSON.parse(raw.toString("utf8", 0, line)) as Entry;
    if (e.format !== FORMAT || e.key !== key || e.source !== source || !Array.isArray(e.inputs) || !Array.isArray(e.diagnostics) || typeof e.object !== "string") return undefined;
    const later = unchanged(e.inputs, raw.subarray(line + 1));
    if (!later) return undefined;
    const confirm = (): boolean => {
      const same = later.every(({ path, bytes }) => holds(path, bytes));
      if (!same) log("stale", file);
      return same;
    };
    return { object: new Uint8Array(Buffer.from(e.object, "base64")), diagnostics: e.diagnostics, ...(later.length > 0 && { confirm }) };
  } catch {
    return undefined; // none yet, or not ours
  }
}

function store(file: string, entry: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: CACHE_DIR_MODE });
    writeFileSync(tmp, entry);
    renameSync(tmp, file);
    log("stored", file);
  } catch {
    // A read-only cache directory: run without a cache.
    try { unlinkSync(tmp); } catch { /* not created */ }
  }
}

function log(what: string, file: string): void {
  if (process.env.BPFTSC_CACHE_LOG) process.stderr.write(`bpftsc: compile cache ${what}: ${file}\n`);
}
