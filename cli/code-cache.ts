// A V8 code cache for the bpftsc bundles (dist/bpftsc.cjs, dist/compiler.cjs) and the
// TypeScript compiler's 9 MB typescript.js, so that every `bpftsc` run after the first
// skips parsing and compiling them (the largest part of a run's start-up on Node 20,
// which has no built-in module compile cache).
// In: installed by bin/bpftsc.js, with the command's argv, before the bundle is
// required. Out: those files loaded from cached code when a valid cache exists; save()
// writes a cache for each one loaded without, after the run, so it covers the functions
// the run actually ran. The compiler and typescript.js are required only when a probe
// is compiled. `bpftsc run` keeps a cache of dist/bpftsc.cjs of its own: a compile runs
// few of its functions, a run many.
// The cache lives in cacheDir() (cache-dir.ts); any failure to read or write it only
// costs speed. A cache is named by its file's path, size and mtime and Node's version,
// so every new build or install of bpftsc writes new ones: writing one removes all but
// the KEEP newest of its kind, enough for two installs used in turn.
// The cached files are also read faster: Node reads a module as UTF-8, whose decoding of
// typescript.js's 9 MB is 20-30 ms of every compile's start; the bundles and
// typescript.js are ASCII, which reads as Latin-1 (the same string) in a few.

import { isAscii } from "node:buffer";
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import vm from "node:vm";
import { CACHE_DIR_MODE, cacheDir } from "./cache-dir.js";
import { keyHash } from "./key-hash.js";

interface CompileHook {
  _compile(this: NodeModule, content: string, filename: string): unknown;
}

type Loader = (module: NodeModule & CompileHook, filename: string) => void;

export interface CodeCache {
  /** Writes the caches that were missing or stale. */
  save(): void;
}

/** How many caches of one kind (one file, any build of it) are kept. */
const KEEP = 3;

/** Whether a module file is the TypeScript compiler's. */
const isTypeScript = (f: string): boolean => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(f);

/** dist/bpftsc.cjs and dist/compiler.cjs (scripts/bundle.mjs). */
const BUNDLE = /[\\/]dist[\\/](bpftsc|compiler)\.cjs$/;

/** The name a module file's cache goes by, or undefined for a file not cached. */
function cacheName(file: string, run: boolean): string | undefined {
  if (isTypeScript(file)) return "typescript.js";
  const bundle = BUNDLE.exec(file)?.[1];
  if (bundle === undefined) return undefined;
  return bundle === "bpftsc" && run ? "bpftsc.cjs-run" : `${bundle}.cjs`;
}

export function installCodeCache(argv: readonly string[]): CodeCache {
  const run = argv[0] === "run";
  const proto = (Module as unknown as { prototype: CompileHook }).prototype;
  const original = proto._compile;
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  const readAsUtf8 = extensions[".js"]!;
  extensions[".js"] = (module, filename) => {
    if (cacheName(filename, run) === undefined) return readAsUtf8(module, filename);
    const bytes = readFileSync(filename);
    module._compile(isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8"), filename);
  };
  let pending: { script: vm.Script; file: string; name: string }[] = [];
  proto._compile = function (this: NodeModule, content: string, filename: string) {
    const name = cacheName(filename, run);
    if (name === undefined) return original.call(this, content, filename);
    const st = statSync(filename);
    const key = keyHash(`${filename}\0${st.size}\0${st.mtimeMs}\0${process.version}\0${process.arch}`);
    const file = join(cacheDir(), `${name}-${key}.v8cache`);
    let cachedData: Buffer | undefined;
    try { cachedData = readFileSync(file); } catch { /* no cache yet */ }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) pending.push({ script, file, name });
    const fn = script.runInThisContext() as (...a: unknown[]) => unknown;
    return fn.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename));
  };
  return {
    save() {
      for (const { script, file, name } of pending) {
        try {
          mkdirSync(dirname(file), { recursive: true, mode: CACHE_DIR_MODE });
          const tmp = `${file}.${process.pid}.tmp`;
          writeFileSync(tmp, script.createCachedData());
          renameSync(tmp, file);
          removeOlder(dirname(file), name);
        } catch { /* read-only home: run without a cache */ }
      }
      pending = [];
    },
  };
}

/** Removes all but the KEEP newest caches of one kind from the directory. */
function removeOlder(dir: string, name: string): void {
  const ofKind = new RegExp(`^${name.replace(/\./g, "\\.")}-[0-9a-f]{16}\\.v8cache$`);
  const found = readdirSync(dir).filter((f) => ofKind.test(f)).map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs }));
  found.sort((a, b) => b.mtime - a.mtime);
  for (const { f } of found.slice(KEEP)) {
    try { unlinkSync(join(dir, f)); } catch { /* removed by another run */ }
  }
}
