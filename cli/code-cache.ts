// A V8 code cache for the TypeScript compiler's 9 MB typescript.js, so that every
// `bpftsc` run after the first skips parsing and compiling it (the largest part of a
// run's start-up on Node 20, which has no built-in module compile cache).
// In: installed by bin/bpftsc.js before the compiler is imported. Out: typescript.js
// loaded from cached code when a valid cache exists; save() writes one after a compile,
// so it covers the functions that compile actually ran.
// The cache lives in $BPFTSC_CACHE_DIR, else ~/.cache/bpftsc; any failure to read or
// write it only costs speed.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import vm from "node:vm";

interface CompileHook {
  _compile(this: NodeModule, content: string, filename: string): unknown;
}

export interface CodeCache {
  /** Writes the cache if it was missing or stale. */
  save(): void;
}

function cacheDir(): string {
  return process.env.BPFTSC_CACHE_DIR ?? join(homedir(), ".cache", "bpftsc");
}

export function installCodeCache(matches = (f: string) => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(f)): CodeCache {
  const proto = (Module as unknown as { prototype: CompileHook }).prototype;
  const original = proto._compile;
  let pending: { script: vm.Script; file: string } | undefined;
  proto._compile = function (this: NodeModule, content: string, filename: string) {
    if (!matches(filename)) return original.call(this, content, filename);
    const st = statSync(filename);
    const key = createHash("sha256").update(`${filename}\0${st.size}\0${st.mtimeMs}\0${process.version}\0${process.arch}`).digest("hex").slice(0, 16);
    const file = join(cacheDir(), `typescript-${key}.v8cache`);
    let cachedData: Buffer | undefined;
    try { cachedData = readFileSync(file); } catch { /* no cache yet */ }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) pending = { script, file };
    const fn = script.runInThisContext() as (...a: unknown[]) => unknown;
    return fn.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename));
  };
  return {
    save() {
      if (!pending) return;
      try {
        mkdirSync(dirname(pending.file), { recursive: true });
        const tmp = `${pending.file}.${process.pid}.tmp`;
        writeFileSync(tmp, pending.script.createCachedData());
        renameSync(tmp, pending.file);
      } catch { /* read-only home: run without a cache */ }
      pending = undefined;
    },
  };
}
