// Where bpftsc keeps what it caches between runs (the V8 code cache of its bundle,
// code-cache.ts; compiled probe objects, compile-cache.ts): $BPFTSC_CACHE_DIR, else
// $XDG_CACHE_HOME/bpftsc, else for root /var/cache/bpftsc (not the home directory, which
// under sudo may be the calling user's, who would be left with files root owns), else
// ~/.cache/bpftsc. Created readable and writable by its owner only: root loads what it
// finds there into the kernel.

import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(): string {
  const env = process.env;
  if (env.BPFTSC_CACHE_DIR) return env.BPFTSC_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "bpftsc");
  if (process.getuid?.() === 0) return "/var/cache/bpftsc";
  return join(homedir(), ".cache", "bpftsc");
}

/** The mode of the directories made for it. */
export const CACHE_DIR_MODE = 0o700;
