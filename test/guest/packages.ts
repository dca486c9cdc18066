// Debian packages for the guests, downloaded with `apt-get download` (never installed on
// the host), unpacked with `dpkg-deb -x`, and cached. In: a package name and its Debian
// architecture. Out: what apt says of it (dependencies, candidate version), and a cache
// directory made once from its unpacked files.
//
// The cache ($BPFTSC_GUEST_CACHE, default ~/.cache/bpftsc-guests) holds one directory per
// package version and architecture, <package>_<version>_<arch>/ (as Debian names the
// .deb), made by a caller-given function and published by an atomic rename, so parallel
// test processes and worktrees can share the cache. A package of a foreign architecture
// needs `dpkg --add-architecture <arch>` (.ci/run does it for arm64).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tool } from "./tool.js";

export function cacheDir(): string {
  return process.env.BPFTSC_GUEST_CACHE ?? path.join(os.homedir(), ".cache", "bpftsc-guests");
}

let updated = false;

/** `apt-cache` output for a package; runs `apt-get update` once if apt does not know it. */
function aptCache(command: "depends" | "policy", pkg: string): string {
  const ask = () => tool("apt-cache", [command, pkg]).toString();
  const out = (() => { try { return ask(); } catch { return ""; } })();
  if (/Depends:|Candidate: [^(]/.test(out) || updated) return out;
  updated = true;
  tool("apt-get", ["update", "-q"], { timeoutMs: 300_000 });
  return ask();
}

/** The packages `name:arch` depends on, by name (without their `:arch`). */
export function dependsOf(name: string, arch: string): string[] {
  return [...aptCache("depends", `${name}:${arch}`).matchAll(/Depends: ([^\s:]+)/g)].map((m) => m[1]!);
}

export function candidateVersion(name: string, arch: string): string {
  const m = /Candidate: ([^\s(]\S*)/.exec(aptCache("policy", `${name}:${arch}`));
  if (!m) throw new Error(`apt has no candidate version of ${name}:${arch}${arch === "amd64" ? "" : ` (is the architecture added? dpkg --add-architecture ${arch}; apt-get update)`}`);
  return m[1]!;
}

export interface CachedPackage { name: string; version: string; dir: string }

/** The cache directory of `name:arch`'s candidate version, made when missing: `make`
 *  fills `out` from `root`, the package's unpacked files. */
export function cachedPackage(name: string, arch: string, make: (root: string, out: string) => void): CachedPackage {
  const version = candidateVersion(name, arch);
  const dir = path.join(cacheDir(), `${name}_${version}_${arch}`);
  if (!fs.existsSync(dir)) publishDir(dir, (out) => unpack(`${name}:${arch}`, out, make));
  return { name, version, dir };
}

/** Fills a temporary directory with `make` and renames it to `dir` (losing a race is fine). */
function publishDir(dir: string, make: (tmp: string) => void): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    make(tmp);
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (!fs.existsSync(dir)) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function unpack(pkg: string, out: string, make: (root: string, out: string) => void): void {
  const work = path.join(out, "download");
  fs.mkdirSync(work);
  tool("apt-get", ["download", "-q", pkg], { cwd: work, timeoutMs: 600_000 });
  const deb = fs.readdirSync(work).find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`);
  const root = path.join(work, "root");
  tool("dpkg-deb", ["-x", path.join(work, deb), root], { timeoutMs: 300_000 });
  make(root, out);
  fs.rmSync(work, { recursive: true, force: true });
}
