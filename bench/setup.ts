// What the benchmark needs before it measures anything, made once under bench/.build:
// the compiler built (dist/), vmlinux.h from the running kernel's BTF, a lean stand-in
// for it, the test loader, and the event workload (bench/workload.c).
// In: the repository. Out: paths, or an error saying what is missing.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildLoader } from "../test/harness/harness.js";
import { CLANG } from "./compilers.js";

export interface Setup {
  loader: string;
  workload: string;
  vmlinuxDir: string;
  leanArgs: string[];
}

function need(cmd: string, pkg: string): void {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} not found: install the Debian package ${pkg} (.ci/run does)`);
}

/** Build dist/ unless everything bin/bpftsc.js loads from it is there. */
function ensureBuilt(repo: string): void {
  const bin = fs.readFileSync(path.join(repo, "bin", "bpftsc.js"), "utf8");
  const wanted = [...bin.matchAll(/["']\.\.\/(dist\/[^"']+)["']/g)].map((m) => m[1]!);
  if (wanted.length === 0) wanted.push("dist/compiler/cli.js");
  const missing = wanted.filter((f) => !fs.existsSync(path.join(repo, f)));
  if (missing.length === 0) return;
  process.stderr.write(`bench: ${missing.join(", ")} missing, running npm run build\n`);
  const r = spawnSync("npm", ["run", "build"], { cwd: repo, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
}

/** vmlinux.h for the C twins, generated once from the running kernel's BTF. */
function ensureVmlinuxH(build: string): string {
  const dir = path.join(build, "include");
  const file = path.join(dir, "vmlinux.h");
  if (fs.existsSync(file)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`bpftool btf dump failed: ${r.error?.message ?? r.stderr}`);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, r.stdout);
  fs.renameSync(tmp, file);
  return dir;
}

/**
 * A lean stand-in for vmlinux.h: UAPI headers only. The C twins include "vmlinux.h" as
 * libbpf users do; parsing the 3 MB vmlinux.h is much of clang's time, so the benchmark
 * also times clang with this header (the same instructions for these programs).
 */
function ensureLeanHeaders(build: string): string[] {
  const dir = path.join(build, "lean-include");
  const file = path.join(dir, "vmlinux.h");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      file,
      "/* Lean stand-in for vmlinux.h (bench only): UAPI headers; struct pt_regs from asm/ptrace.h. */\n" +
        "#include <linux/types.h>\n#include <linux/bpf.h>\n#include <linux/ptrace.h>\n",
    );
  }
  const args = [`-I${dir}`];
  const multiarch = spawnSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).stdout?.trim();
  if (multiarch && fs.existsSync(`/usr/include/${multiarch}/asm`)) args.push(`-I/usr/include/${multiarch}`);
  return args;
}

/** bench/workload.c with gcc -g -O0, rebuilt when the source is newer. */
function ensureWorkload(repo: string, build: string): string {
  const src = path.join(repo, "bench", "workload.c");
  const bin = path.join(build, "workload");
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return bin;
  const tmp = `${bin}.tmp-${process.pid}`;
  const r = spawnSync("gcc", ["-g", "-O0", "-Wall", "-o", tmp, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building the workload failed:\n${r.stderr}`);
  fs.renameSync(tmp, bin);
  return bin;
}

export function setup(repo: string, build: string): Setup {
  if (process.getuid?.() !== 0) throw new Error("must run as root: the benchmark loads and attaches BPF programs");
  need(CLANG, "clang-19");
  need("/usr/bin/time", "time");
  need("bpftool", "bpftool");
  need("gcc", "gcc");
  ensureBuilt(repo);
  fs.mkdirSync(build, { recursive: true });
  return {
    loader: buildLoader(),
    workload: ensureWorkload(repo, build),
    vmlinuxDir: ensureVmlinuxH(build),
    leanArgs: ensureLeanHeaders(build),
  };
}
