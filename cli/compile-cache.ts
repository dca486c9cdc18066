// A cache of compiled probe objects, so that `bpftsc run` on an unchanged probe skips the
// TypeScript checker and the compiler, and does not even load them (the compiler is
// imported only on a miss).
// In: the probe file and the compile options. Out: the object and its diagnostics
// (warnings too: they are stored with it), from the cache or from a compile, which is
// then stored.
// An entry is one file, cacheDir()/compiled/<key>.json, written atomically, named by a
// hash of: the compiler (package version; the file this code is in, the bundle, by path,
// size and mtime, and the compiler's bundle beside it by size and mtime), the probe's
// path, its text, the working directory, the compile options (kernel BTF path,
// architecture) and $BPFTSC_TRACEFS. It lists every other file the compile read
// (compile.ts's inputs: imported declarations, runtime types, kernel BTF, tracepoint
// formats, probed binaries) with a stamp: a hash of the contents when the file is at
// most 1 MiB or reports no size (tracefs, /proc), else device, inode, size and mtime. An entry whose stamps no longer match, or that is unreadable, corrupt or of
// another format, is ignored (and replaced). Only successful compiles are stored.
// With $BPFTSC_CACHE_LOG set, says on stderr whether the cache was used.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { packageRoot } from "../compiler/package-root.js";
import { CACHE_DIR_MODE, cacheDir } from "./cache-dir.js";

const FORMAT = "bpftsc compiled object 1";
/** The compiler's bundle, beside the one this code is in (scripts/bundle.mjs). */
const COMPILER_BUNDLE = "compiler.cjs";
/** Files up to this size are stamped by a hash of their contents. */
const HASHED_UP_TO = 1 << 20;

export interface ProbeCompile {
  fileName: string;
  btfPath?: string;
  arch?: string;
}

export interface Compiled {
  object?: Uint8Array;
  diagnostics: Diagnostic[];
}

interface Entry {
  format: string;
  key: string;
  inputs: { path: string; stamp: string }[];
  diagnostics: Diagnostic[];
  /** Base64. */
  object: string;
}

/** Compiles the probe, or takes its object from the cache (`useCache` false: neither
 *  reads nor writes it). Throws what the compiler throws (an internal error). */
export async function compileProbe(req: ProbeCompile, useCache: boolean): Promise<Compiled> {
  const source = readFileSync(req.fileName, "utf8");
  const key = useCache ? entryKey(req, source) : undefined;
  const file = key && join(cacheDir(), "compiled", `${key}.json`);
  if (key && file) {
    const hit = lookup(file, key);
    log(hit ? "hit" : "miss", file);
    if (hit) return hit;
  }
  const { compile } = await import("../compiler/compile.js");
  const r = compile({ fileName: req.fileName, source, btfPath: req.btfPath, arch: req.arch });
  if (key && file && r.object && r.inputs) {
    const inputs = r.inputs.map((path) => ({ path, stamp: stamp(path) }));
    // An input that cannot be stamped (gone already) leaves nothing to check the entry by.
    if (inputs.every((i): i is Entry["inputs"][number] => i.stamp !== undefined)) {
      store(file, { format: FORMAT, key, inputs, diagnostics: r.diagnostics, object: Buffer.from(r.object).toString("base64") });
    }
  }
  return { object: r.object, diagnostics: r.diagnostics };
}

function entryKey(req: ProbeCompile, source: string): string {
  const bundle = fileURLToPath(import.meta.url);
  const parts = [
    FORMAT, version(), bundle, bundleStamp(bundle), bundleStamp(join(dirname(bundle), COMPILER_BUNDLE)),
    req.fileName, resolve(req.fileName), sha256(source), process.cwd(),
    req.btfPath === undefined ? "" : resolve(req.btfPath), req.arch ?? process.arch, process.env.BPFTSC_TRACEFS ?? "",
  ];
  return sha256(JSON.stringify(parts));
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

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What identifies a file's present contents; undefined when it cannot be read. */
function stamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.size === 0 || st.size <= HASHED_UP_TO) return `sha256 ${sha256(readFileSync(path))}`;
    return `stat ${st.dev} ${st.ino} ${st.size} ${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function lookup(file: string, key: string): Compiled | undefined {
  try {
    const e = JSON.parse(readFileSync(file, "utf8")) as Entry;
    if (e.format !== FORMAT || e.key !== key || !Array.isArray(e.inputs) || !Array.isArray(e.diagnostics) || typeof e.object !== "string") return undefined;
    if (!e.inputs.every((i) => stamp(i.path) === i.stamp)) return undefined;
    return { object: new Uint8Array(Buffer.from(e.object, "base64")), diagnostics: e.diagnostics };
  } catch {
    return undefined; // none yet, or not ours
  }
}

function store(file: string, entry: Entry): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: CACHE_DIR_MODE });
    writeFileSync(tmp, JSON.stringify(entry));
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
