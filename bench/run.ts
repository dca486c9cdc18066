// bpftsc vs clang -O2: for every examples/<name>.ts and its C twin bench/c/<name>.bpf.c,
// compile both (timing the whole command, median of N runs), count the instructions of each
// program in the ELF, load both objects with the test loader (--stats) to read the kernel's
// verified_insns / xlated_insns, and print ONE side-by-side table with ratios bpftsc/clang.
// Then the loader: ring- and perf-buffer throughput (bench/ringbuf.ts) and `bpftsc run` beside
// bpftrace (bench/run-vs-bpftrace.ts); --no-loader leaves them out.
//
//   npx tsx bench/run.ts [--runs N] [--only NAME]... [--clang-arg ARG]... [--keep] [--no-loader]
//   npm run bench -- --runs 9
//
// Ratios > 1 mean bpftsc is worse than clang; such cells are flagged with "!".
// This is a benchmark, not a test: it never fails on a ratio, only prints it.
// Needs root (the loader loads into the kernel), clang, bpftool, libbpf-dev.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { buildLoader } from "../test/harness/harness.js";
import { ringbufBench } from "./ringbuf.js";
import { runVsBpftrace } from "./run-vs-bpftrace.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, "..");
const EXAMPLES_DIR = path.join(REPO, "examples");
const C_DIR = path.join(BENCH_DIR, "c");
const BUILD_DIR = path.join(BENCH_DIR, ".build");

// ---- options ----------------------------------------------------------------------------

interface Options {
  runs: number;
  only: string[];
  clangArgs: string[];
  keep: boolean;
  loader: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 5, only: [], clangArgs: [], keep: false, loader: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--runs") {
      o.runs = Number(next());
      if (!Number.isInteger(o.runs) || o.runs < 1) usage("--runs must be a positive integer");
    } else if (a === "--only") o.only.push(next());
    else if (a === "--clang-arg") o.clangArgs.push(next());
    else if (a === "--keep") o.keep = true;
    else if (a === "--no-loader") o.loader = false;
    else if (a === "-h" || a === "--help") usage();
    else usage(`unknown argument '${a}'`);
  }
  return o;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    "usage: tsx bench/run.ts [--runs N] [--only EXAMPLE]... [--clang-arg ARG]... [--keep] [--no-loader]\n",
  );
  process.exit(msg ? 2 : 0);
}

// ---- running commands -------------------------------------------------------------------

interface Timed {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(cmd: string, args: string[], cwd = REPO): Timed {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function firstLine(s: string): string {
  return (s.split("\n").find((l) => l.trim() !== "") ?? "").trim().slice(0, 160);
}

// ---- ELF: instructions per program ------------------------------------------------------

/** Instructions of each global function symbol in an executable section (ld_imm64 = 1). */
function countInsns(file: string): Map<string, number> {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error(`${file}: not a little-endian ELF64 file`);
  }
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  interface Sh { type: number; flags: number; offset: number; size: number; link: number; entsize: number }
  const shs: Sh[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    shs.push({
      type: b.readUInt32LE(o + 4),
      flags: Number(b.readBigUInt64LE(o + 8)),
      offset: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
      link: b.readUInt32LE(o + 0x28),
      entsize: Number(b.readBigUInt64LE(o + 0x38)),
    });
  }
  const SHT_SYMTAB = 2, SHF_EXECINSTR = 0x4, STT_FUNC = 2, STB_GLOBAL = 1;
  const out = new Map<string, number>();
  const symtab = shs.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return out;
  const strtab = shs[symtab.link];
  const cstr = (off: number): string => {
    const start = strtab.offset + off;
    let end = start;
    while (b[end] !== 0) end++;
    return b.toString("utf8", start, end);
  };
  const entsize = symtab.entsize || 24;
  for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
    const info = b[o + 4];
    const shndx = b.readUInt16LE(o + 6);
    if ((info & 0xf) !== STT_FUNC || info >> 4 !== STB_GLOBAL || shndx === 0 || shndx >= shnum) continue;
    const sec = shs[shndx];
    if (!(sec.flags & SHF_EXECINSTR)) continue;
    const value = Number(b.readBigUInt64LE(o + 8));
    let size = Number(b.readBigUInt64LE(o + 16));
    if (size === 0) size = sec.size - value;
    let n = 0;
    for (let p = sec.offset + value; p < sec.offset + value + size; p += 8) {
      n++;
      if (b[p] === 0x18) p += 8; // BPF_LD | BPF_IMM | BPF_DW: the second half is no instruction
    }
    out.set(cstr(b.readUInt32LE(o)), n);
  }
  return out;
}

// ---- loading: kernel statistics ---------------------------------------------------------

interface ProgStats {
  xlated?: number;
  verified?: number;
}

interface LoadResult {
  ok: boolean;
  error?: string; // "load failed (exit 3): <first line>"
  progs: Map<string, ProgStats>;
}

function loadStats(loader: string, obj: string): LoadResult {
  const r = run(loader, [obj, "--stats"]);
  const progs = new Map<string, ProgStats>();
  if (r.status !== 0) {
    const why = ["", "bad usage", "open failed", "load failed", "attach failed", "runtime error"][r.status ?? 0] ?? "failed";
    // The loader's own summary line, then the first libbpf error line (verifier log follows it).
    const lines = r.stderr.split("\n");
    const summary = lines.find((l) => l.startsWith("loader:"))?.replace(/^loader:\s*/, "").replace(obj, path.basename(obj));
    const cause = lines.find((l) => /^libbpf: .*(error|fail|invalid)/i.test(l));
    const detail = [summary, cause].filter(Boolean).join("; ") || firstLine(r.stderr);
    return { ok: false, error: `${why} (exit ${r.status}): ${detail}`, progs };
  }
  try {
    const j = JSON.parse(r.stdout) as { programs: { name: string; xlated_insns?: number; verified_insns?: number }[] };
    for (const p of j.programs) progs.set(p.name, { xlated: p.xlated_insns, verified: p.verified_insns });
    return { ok: true, progs };
  } catch (e) {
    return { ok: false, error: `loader output unreadable: ${(e as Error).message}`, progs };
  }
}

// ---- setup ------------------------------------------------------------------------------

/** Build dist/ unless everything bin/bpftsc.js loads from it is there. */
function ensureBuilt(): void {
  const bin = fs.readFileSync(path.join(REPO, "bin", "bpftsc.js"), "utf8");
  const wanted = [...bin.matchAll(/["']\.\.\/(dist\/[^"']+)["']/g)].map((m) => m[1]);
  if (wanted.length === 0) wanted.push("dist/bpftsc.cjs");
  const missing = wanted.filter((f) => !fs.existsSync(path.join(REPO, f)));
  if (missing.length === 0) return;
  process.stderr.write(`bench: ${missing.join(", ")} missing, running npm run build\n`);
  const r = spawnSync("npm", ["run", "build"], { cwd: REPO, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
}

/**
 * A lean stand-in for vmlinux.h: UAPI headers only. The C twins include "vmlinux.h" as
 * libbpf users do; parsing the 3 MB vmlinux.h is most of clang's time, so the table also
 * times clang with this header too (it yields the same instructions for these programs).
 */
function ensureLeanHeaders(): string[] {
  const dir = path.join(BUILD_DIR, "lean-include");
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

/** vmlinux.h for the C twins, generated once from the running kernel's BTF. */
function ensureVmlinuxH(): string {
  const dir = path.join(BUILD_DIR, "include");
  const file = path.join(dir, "vmlinux.h");
  if (fs.existsSync(file)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) throw new Error(`bpftool btf dump failed: ${r.error?.message ?? r.stderr}`);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, r.stdout);
  fs.renameSync(tmp, file);
  return dir;
}

// ---- one example ------------------------------------------------------------------------

interface Side {
  compiled: boolean;
  compileError?: string;
  ms: number;
  leanMs?: number; // clang only: the same C with lean UAPI headers instead of vmlinux.h
  insns: Map<string, number>;
  load?: LoadResult;
}

interface ExampleResult {
  name: string;
  ts: Side;
  c: Side;
}

function benchExample(name: string, opts: Options, loader: string, incDir: string, leanArgs: string[], tmp: string): ExampleResult {
  const tsSrc = path.join(EXAMPLES_DIR, `${name}.ts`);
  const cSrc = path.join(C_DIR, `${name}.bpf.c`);
  const tsObj = path.join(tmp, `${name}.bpftsc.o`);
  const cObj = path.join(tmp, `${name}.clang.o`);
  const tsCmd: [string, string[]] = [process.execPath, [path.join(REPO, "bin", "bpftsc.js"), tsSrc, "-o", tsObj]];
  const cCmd: [string, string[]] = [
    "clang",
    ["-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_x86", `-I${incDir}`, ...opts.clangArgs, "-c", cSrc, "-o", cObj],
  ];
  const cLeanCmd: [string, string[]] = [
    "clang",
    ["-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_x86", ...leanArgs, ...opts.clangArgs, "-c", cSrc, "-o", cObj + ".lean"],
  ];
  const haveC = fs.existsSync(cSrc);
  const ts: Side = { compiled: true, ms: NaN, insns: new Map() };
  const c: Side = { compiled: haveC, ms: NaN, insns: new Map(), compileError: haveC ? undefined : `no ${path.relative(REPO, cSrc)}` };
  const tsTimes: number[] = [];
  const cTimes: number[] = [];
  const leanTimes: number[] = [];
  // One unmeasured warm-up each (page cache, bpftsc's V8 code cache), then interleave the
  // compilers so that machine-load noise hits both alike.
  run(...tsCmd);
  if (haveC) run(...cCmd);
  for (let i = 0; i < opts.runs; i++) {
    if (ts.compiled) {
      let r = run(...tsCmd);
      // dist/ may be mid-rebuild (npm run build elsewhere): retry a vanished module a few times.
      for (let retry = 0; retry < 5 && r.status !== 0 && /ERR_MODULE_NOT_FOUND|dist\/compiler/.test(r.stderr); retry++) {
        spawnSync("sleep", ["2"]);
        r = run(...tsCmd);
      }
      if (r.status !== 0) {
        ts.compiled = false;
        ts.compileError = `bpftsc exit ${r.status}: ${firstLine(r.stderr)}`;
      } else tsTimes.push(r.ms);
    }
    if (c.compiled) {
      const r = run(...cCmd);
      if (r.status !== 0) {
        c.compiled = false;
        c.compileError = `clang exit ${r.status}: ${firstLine(r.stderr)}`;
      } else cTimes.push(r.ms);
      const l = run(...cLeanCmd);
      if (l.status === 0) leanTimes.push(l.ms);
    }
  }
  if (leanTimes.length) c.leanMs = median(leanTimes);
  for (const [side, obj, times] of [[ts, tsObj, tsTimes], [c, cObj, cTimes]] as const) {
    if (!side.compiled) continue;
    side.ms = median(times);
    side.insns = countInsns(obj);
    side.load = loadStats(loader, obj);
  }
  return { name, ts, c };
}

// ---- the table --------------------------------------------------------------------------

const WORSE = "!";

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

function pair(a: number | undefined, b: number | undefined, fmt: (x: number) => string = String): string {
  const r = ratio(a, b);
  const missing = (x: number | undefined): boolean => x === undefined || Number.isNaN(x);
  const s = `${missing(a) ? "-" : fmt(a!)}/${missing(b) ? "-" : fmt(b!)}`;
  if (r === undefined) return missing(a) && !missing(b) ? `${s} ${WORSE}` : s; // bpftsc side missing: flag it
  return `${s} (${r.toFixed(2)})${r > 1.0005 ? " " + WORSE : ""}`;
}

function geomean(xs: number[]): number | undefined {
  const ys = xs.filter((x) => x > 0 && Number.isFinite(x));
  if (ys.length === 0) return undefined;
  return Math.exp(ys.reduce((s, x) => s + Math.log(x), 0) / ys.length);
}

function printTable(results: ExampleResult[], opts: Options): void {
  const head = [
    "example", "program", "insns bpftsc/clang", "xlated bpftsc/clang", "verified bpftsc/clang",
    "compile ms bpftsc/clang", "ms vs clang lean hdrs",
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  const rInsns: number[] = [], rXlated: number[] = [], rVerified: number[] = [], rMs: number[] = [], rLean: number[] = [];
  let sum = { ti: 0, ci: 0, tx: 0, cx: 0, tv: 0, cv: 0, tms: 0, cms: 0, lms: 0 };
  const ms = (x: number): string => x.toFixed(0);

  for (const ex of results) {
    for (const [label, side] of [["bpftsc", ex.ts], ["clang", ex.c]] as const) {
      const mark = label === "bpftsc" ? WORSE : "?";
      if (!side.compiled) notes.push(`${mark} ${ex.name}: ${label} did not compile: ${side.compileError}`);
      else if (side.load && !side.load.ok) notes.push(`${mark} ${ex.name}: ${label} object: ${side.load.error}`);
    }
    const names = [...new Set([...ex.ts.insns.keys(), ...ex.c.insns.keys()])];
    if (names.length === 0) names.push("-");
    const compileCell = pair(ex.ts.compiled ? ex.ts.ms : undefined, ex.c.compiled ? ex.c.ms : undefined, ms);
    const r = ratio(ex.ts.ms, ex.c.ms);
    if (ex.ts.compiled && ex.c.compiled && r !== undefined) {
      rMs.push(r);
      sum.tms += ex.ts.ms;
      sum.cms += ex.c.ms;
    }
    const leanCell = pair(ex.ts.compiled ? ex.ts.ms : undefined, ex.c.leanMs, ms);
    const rl = ratio(ex.ts.ms, ex.c.leanMs);
    if (ex.ts.compiled && rl !== undefined) {
      rLean.push(rl);
      sum.lms += ex.c.leanMs!;
    }
    names.forEach((prog, i) => {
      const ti = ex.ts.insns.get(prog), ci = ex.c.insns.get(prog);
      const loadCell = (side: Side, pick: (p: ProgStats) => number | undefined): number | undefined =>
        side.load?.ok ? (side.load.progs.get(prog) ? pick(side.load.progs.get(prog)!) : undefined) : undefined;
      const tx = loadCell(ex.ts, (p) => p.xlated), cx = loadCell(ex.c, (p) => p.xlated);
      const tv = loadCell(ex.ts, (p) => p.verified), cv = loadCell(ex.c, (p) => p.verified);
      const failCell = (a: number | undefined, b: number | undefined): string => {
        const tf = ex.ts.compiled && ex.ts.load && !ex.ts.load.ok;
        const cf = ex.c.compiled && ex.c.load && !ex.c.load.ok;
        if (!tf && !cf) return pair(a, b);
        // "!" only when bpftsc's object is the one that failed; "?" = clang's failed, no ratio.
        return `${tf ? "LOAD FAIL" : a ?? "-"}/${cf ? "LOAD FAIL" : b ?? "-"} ${tf ? WORSE : "?"}`;
      };
      rows.push([
        i === 0 ? ex.name : "",
        prog,
        pair(ti, ci),
        failCell(tx, cx),
        failCell(tv, cv),
        i === 0 ? compileCell : "",
        i === 0 ? leanCell : "",
      ]);
      const acc = (a: number | undefined, b: number | undefined, rs: number[], k: "i" | "x" | "v"): void => {
        if (a === undefined || b === undefined) return;
        rs.push(a / b);
        sum = { ...sum, [`t${k}`]: sum[`t${k}` as keyof typeof sum] + a, [`c${k}`]: sum[`c${k}` as keyof typeof sum] + b };
      };
      acc(ti, ci, rInsns, "i");
      acc(tx, cx, rXlated, "x");
      acc(tv, cv, rVerified, "v");
    });
  }
  const g = (xs: number[]): string => {
    const v = geomean(xs);
    return v === undefined ? "-" : `geomean ${v.toFixed(2)}${v > 1.0005 ? " " + WORSE : ""}`;
  };
  const tot = (a: number, b: number, rs: number[], fmt?: (x: number) => string): string =>
    rs.length ? pair(a, b, fmt) : "-";
  rows.push([
    "TOTAL", "", tot(sum.ti, sum.ci, rInsns), tot(sum.tx, sum.cx, rXlated), tot(sum.tv, sum.cv, rVerified),
    tot(sum.tms, sum.cms, rMs, ms), tot(sum.tms, sum.lms, rLean, ms),
  ]);
  rows.push(["", "", g(rInsns), g(rXlated), g(rVerified), g(rMs), g(rLean)]);

  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => s.padEnd(widths[c])).join("  ").trimEnd();
  const sep = widths.map((w) => "-".repeat(w)).join("  ");
  const out: string[] = [];
  out.push(
    `bpftsc vs clang -O2 ${["-g", "-target bpf", ...opts.clangArgs].join(" ")}  ` +
      `(compile time: median of ${opts.runs} whole-command runs; ratio = bpftsc/clang; ${WORSE} = bpftsc worse; ? = no comparison)`,
  );
  out.push(line(head), sep);
  for (const r of rows) {
    if (r[0] === "TOTAL") out.push(sep);
    out.push(line(r));
  }
  out.push(
    "insns: ELF instructions (ld_imm64 = 1); xlated/verified: kernel's bpf_prog_info after load; " +
      "compile: C with vmlinux.h (idiomatic), and with lean UAPI headers instead (same code).",
  );
  out.push(...notes);
  process.stdout.write(out.join("\n") + "\n");
}

// ---- main -------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  ensureBuilt();
  const loader = buildLoader();
  const incDir = ensureVmlinuxH();
  const leanArgs = ensureLeanHeaders();
  let names = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
  if (opts.only.length) {
    for (const o of opts.only) if (!names.includes(o)) usage(`no examples/${o}.ts`);
    names = names.filter((n) => opts.only.includes(n));
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bpftsc-bench-"));
  try {
    const results: ExampleResult[] = [];
    for (const name of names) {
      process.stderr.write(`bench: ${name}...\n`);
      results.push(benchExample(name, opts, loader, incDir, leanArgs, tmp));
    }
    printTable(results, opts);
    if (opts.keep) process.stderr.write(`bench: objects kept in ${tmp}\n`);
  } finally {
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!opts.loader) return;
  process.stderr.write("bench: the loader's ring buffer...\n");
  console.log("\nbpftsc/loader ring buffer (bench/ringbuf.ts): 64-byte records from a tracepoint on getppid()");
  const ring = await ringbufBench();
  process.stderr.write("bench: the loader's perf buffer...\n");
  console.log("\nbpftsc/loader perf buffer (bench/ringbuf.ts --perf): the same records through a PerfEventArray");
  const perf = await ringbufBench(undefined, undefined, "perf");
  process.stderr.write("bench: bpftsc run vs bpftrace...\n");
  console.log("");
  await runVsBpftrace();
  console.log(`goals: no lost records (ring buffer: ${ring.lost} lost, perf buffer: ${perf.lost}); >= 1,000,000 decoded records/s (best ${Math.round(ring.decodeBest).toLocaleString("en-US")}, perf buffer ${Math.round(perf.decodeBest).toLocaleString("en-US")}); start-up no slower than bpftrace's (above)`);
}

await main();
