// The real-kernel test harness: builds the libbpf loader (test/harness/loader.c) and C
// uprobe targets at test time, runs BPF objects through the loader, and decodes the map
// contents it prints. Tests never skip: without root and bpf() they fail with a clear error.
//
// Build products live in test/.build/ (gitignored). Target binaries are content-addressed
// (test/.build/targets/<name>-<hash>/<name>), never replaced in place, and each test
// process runs its own copy (…/<name>-<hash>/p<pid>/<name>): a uprobe attaches to a file,
// so parallel workers probing the same target must not share one.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const HARNESS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HARNESS_DIR, "..", "..");
export const BUILD_DIR = path.join(REPO_ROOT, "test", ".build");
export const TARGETS_DIR = path.join(HARNESS_DIR, "targets");
export const FIXTURES_DIR = path.join(HARNESS_DIR, "fixtures");
export const LOADER_SOURCE = path.join(HARNESS_DIR, "loader.c");
export const LOADER_PATH = path.join(BUILD_DIR, "loader");

// ---- running tools ----------------------------------------------------------------------

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 120_000): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs });
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException;
    if (e.code === "ENOENT") {
      throw new Error(`${cmd} not found: install it (see .ci/run: libbpf-dev bpftool gcc clang llvm)`);
    }
    throw new Error(`${cmd} ${args.join(" ")}: ${e.message}`);
  }
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function runOrThrow(what: string, cmd: string, args: string[]): RunResult {
  const r = run(cmd, args);
  if (r.status !== 0) {
    throw new Error(`${what} failed (${cmd} exit ${r.status ?? r.signal}):\n$ ${cmd} ${args.join(" ")}\n${r.stderr}${r.stdout}`);
  }
  return r;
}

function hashOf(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** Create `file` from `tmp` unless it exists (atomic; losing a race is fine, same content). */
function publish(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function tmpName(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

// ---- building ---------------------------------------------------------------------------

/** A C compiler for the programs the tests run: the host's gcc, or a cross compiler whose
 *  programs run in a guest of another architecture (test/guest/arch.ts). */
export interface Toolchain {
  /** "" for the host's; else a suffix for what it builds ("arm64": test/.build/loader-arm64). */
  name: string;
  cc: string;
  /** Flags for every program it builds (-static for a guest without libraries). */
  flags: string[];
}

export const HOST_TOOLCHAIN: Toolchain = { name: "", cc: "gcc", flags: [] };

/** Compile test/harness/loader.c into test/.build/loader (loader-<toolchain> for another
 *  one) once; rebuilt when the source is newer. */
export function buildLoader(tc: Toolchain = HOST_TOOLCHAIN): string {
  const out = tc.name ? `${LOADER_PATH}-${tc.name}` : LOADER_PATH;
  const srcTime = fs.statSync(LOADER_SOURCE).mtimeMs;
  const binTime = fs.existsSync(out) ? fs.statSync(out).mtimeMs : -1;
  if (binTime >= srcTime) return out;
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const tmp = tmpName(out);
  try {
    runOrThrow(`building the loader (needs ${tc.cc} and libbpf-dev${tc.name ? `:${tc.name}` : ""})`, tc.cc, [
      "-O2", "-g", "-Wall", ...tc.flags, "-o", tmp, LOADER_SOURCE, "-lbpf", "-lelf", "-lz",
    ]);
    fs.renameSync(tmp, out); // replacing is safe: running loaders keep their inode
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return out;
}

/**
 * Build a C uprobe target with gcc (or another toolchain's compiler); returns the binary's
 * absolute path, to be used in `uprobe/<path>:<symbol>`. The binary's basename is `name`
 * (so its comm is `name`).
 *
 * A uprobe fires in every process that runs the probed file, so each test process gets its
 * own copy (own inode): tests in parallel workers probing the same target do not see each
 * other's calls. Within one process, do not run tests on the same target concurrently.
 */
export function buildTarget(name: string, cSource: string, gccFlags: string[] = ["-g", "-O0"], tc: Toolchain = HOST_TOOLCHAIN): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`buildTarget: bad target name '${name}'`);
  const dir = path.join(BUILD_DIR, "targets", `${name}-${hashOf(cSource, tc.cc, ...tc.flags, ...gccFlags)}`);
  const built = path.join(dir, name);
  const mine = path.join(dir, `p${process.pid}`, name);
  if (fs.existsSync(mine)) return mine;
  if (!fs.existsSync(built)) {
    fs.mkdirSync(dir, { recursive: true });
    const src = path.join(dir, `${name}.c`);
    const srcTmp = tmpName(src);
    fs.writeFileSync(srcTmp, cSource);
    fs.renameSync(srcTmp, src);
    const tmp = tmpName(built);
    try {
      runOrThrow(`building target ${name}`, tc.cc, [...tc.flags, ...gccFlags, "-o", tmp, src]);
      publish(tmp, built);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  pruneDeadCopies(dir);
  fs.mkdirSync(path.dirname(mine), { recursive: true });
  const tmp = tmpName(mine);
  fs.copyFileSync(built, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, mine);
  return mine;
}

/** Remove the per-process copies (p<pid>/) of processes that have exited. */
function pruneDeadCopies(dir: string): void {
  for (const entry of fs.readdirSync(dir)) {
    const m = /^p(\d+)$/.exec(entry);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** Build one of test/harness/targets/<name>.c ("args", "structs", "edge"). */
export function buildTargetFile(name: string, gccFlags: string[] = ["-g", "-O0"]): string {
  return buildTarget(name, fs.readFileSync(path.join(TARGETS_DIR, `${name}.c`), "utf8"), gccFlags);
}

let multiarch: string | undefined;
function multiarchInclude(): string {
  if (multiarch === undefined) {
    const r = run("gcc", ["-print-multiarch"]);
    multiarch = r.status === 0 ? r.stdout.trim() : "";
  }
  return multiarch ? path.join("/usr/include", multiarch) : "/usr/include";
}

/** libbpf's bpf_tracing.h reads pt_regs as this architecture (the host's) lays it out. */
export const TARGET_ARCH_DEFINE = `-D__TARGET_ARCH_${process.arch === "arm64" ? "arm64" : "x86"}`;

/**
 * Compile a BPF C program with clang (`-O2 -g -target bpf`), the yardstick for tests;
 * bpftsc itself never needs clang. `defines` become -D flags; string values are quoted
 * as C string literals, so `{ TARGET_ARGS: "/path" }` gives `-DTARGET_ARGS="/path"`.
 */
export function buildBpfC(name: string, cSource: string, defines: Record<string, string | number> = {}): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`buildBpfC: bad name '${name}'`);
  const dflags = Object.entries(defines).map(([k, v]) => `-D${k}=${typeof v === "string" ? JSON.stringify(v) : v}`);
  const dir = path.join(BUILD_DIR, "bpf");
  const obj = path.join(dir, `${name}-${hashOf(cSource, ...dflags)}.o`);
  if (fs.existsSync(obj)) return obj;
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, `${name}-${process.pid}.bpf.c`);
  fs.writeFileSync(src, cSource);
  const tmp = tmpName(obj);
  try {
    runOrThrow(`clang ${name}`, "clang", [
      "-O2", "-g", "-Wall", "-Werror", "-target", "bpf", TARGET_ARCH_DEFINE,
      "-I", multiarchInclude(), ...dflags, "-c", src, "-o", tmp,
    ]);
    publish(tmp, obj);
  } finally {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(src, { force: true });
  }
  return obj;
}

/** Build test/harness/fixtures/<name>.bpf.c with clang. */
export function buildBpfFixture(name: string, defines: Record<string, string | number> = {}): string {
  return buildBpfC(name, fs.readFileSync(path.join(FIXTURES_DIR, `${name}.bpf.c`), "utf8"), defines);
}

// ---- the kernel -------------------------------------------------------------------------

export interface KernelProbe {
  socket_filter: boolean;
  kprobe: boolean;
  tracepoint: boolean;
  tracing: boolean;
  possible_cpus: number;
}

let kernelChecked: KernelProbe | undefined;

/**
 * Throws a clear error unless the tests can use the real kernel: root, a working bpf()
 * syscall, and kprobe/tracepoint program types (probed with the loader's --probe).
 * Tests call it instead of skipping: CI must run them for real.
 */
export function kernelAvailable(): KernelProbe {
  if (kernelChecked) return kernelChecked;
  if (process.platform !== "linux") throw new Error(`real-kernel tests need Linux, this is ${process.platform}`);
  const uid = process.getuid?.();
  if (uid !== 0) throw new Error(`real-kernel tests must run as root (uid is ${uid}); run them as root, e.g. via .ci/run`);
  const loader = buildLoader();
  const r = run(loader, ["--probe"]);
  let probe: KernelProbe | undefined;
  try {
    probe = JSON.parse(r.stdout) as KernelProbe;
  } catch {
    probe = undefined;
  }
  if (r.status !== 0 || !probe || !probe.kprobe || !probe.tracepoint) {
    throw new Error(
      `the bpf() syscall is unavailable or refuses kprobe/tracepoint programs (loader --probe exit ${r.status}):\n` +
        `${r.stdout}${r.stderr}`,
    );
  }
  kernelChecked = probe;
  return probe;
}

function mountedAt(dir: string, fstype: string): boolean {
  const mounts = fs.readFileSync("/proc/mounts", "utf8");
  return mounts.split("\n").some((line) => {
    const f = line.split(" ");
    return f[1] === dir && f[2] === fstype;
  });
}

function ensureMounted(dir: string, fstype: string, source: string): void {
  if (mountedAt(dir, fstype)) return;
  fs.mkdirSync(dir, { recursive: true });
  const r = run("mount", ["-t", fstype, source, dir]);
  if (r.status !== 0 && !mountedAt(dir, fstype)) {
    throw new Error(`mount -t ${fstype} ${source} ${dir} failed: ${r.stderr}`);
  }
}

/** Mount tracefs on /sys/kernel/tracing unless it is (tracepoint attach and format files need it). */
export function ensureTracefs(): string {
  ensureMounted("/sys/kernel/tracing", "tracefs", "nodev");
  return "/sys/kernel/tracing";
}

/** Mount bpffs on /sys/fs/bpf unless it is. */
export function ensureBpffs(): string {
  ensureMounted("/sys/fs/bpf", "bpf", "bpf");
  return "/sys/fs/bpf";
}

// ---- running the loader -------------------------------------------------------------------

export interface LoaderOptions {
  /** Attach every program (auto-attach from section names). */
  attach?: boolean;
  /** Attach only these programs (by name). */
  attachProgs?: string[];
  /** Passed as bpf_object_open_opts.btf_custom_path (kernel BTF for CO-RE). */
  btfCustom?: string;
  /** Global variables (settings in .rodata, globals in .data/.bss) set before load:
   *  name -> the value's bytes in memory order, as hex. */
  set?: Record<string, string>;
  /** Report per-program instruction counts (xlated, verified). */
  stats?: boolean;
  /** Consume only these RINGBUF maps (default: all of them). */
  ringbufs?: string[];
  /** A command run (fork/exec) after loading and attaching; waited for. */
  command?: string[];
  /** Seconds before the command is killed (default 30). */
  timeoutSeconds?: number;
  /** libbpf debug output to stderr. */
  verbose?: boolean;
  /** A second object, loaded and attached (the same programs) after the first, so
   *  that both run on the same events; its programs are in the result's `beside`. */
  beside?: string;
}

export interface ProgramInfo {
  name: string;
  section: string;
  /** libbpf's program type name: "kprobe", "tracepoint", ... */
  type: string;
  attached: boolean;
  /** The program's BTF object in the kernel (its func and line info came with it). */
  btf_id?: number;
  /** With stats: instructions in the ELF, after the kernel's rewrite, and verifier steps. */
  insns?: number;
  xlated_insns?: number;
  jited_bytes?: number;
  verified_insns?: number;
  /** With stats: nanoseconds spent in the program and times it ran, counted while
   *  kernel.bpf_stats_enabled is 1 (the benchmark turns it on); with a command, during
   *  the command's run only. */
  run_time_ns?: number;
  run_cnt?: number;
}

export interface MapEntry {
  /** Key bytes as hex, in memory order. */
  key: string;
  /** Value bytes as hex (all but per-CPU maps). */
  value?: string;
  /** One value per possible CPU (per-CPU maps). */
  values?: string[];
}

export interface MapDump {
  name: string;
  /** libbpf's map type name: "hash", "array", "percpu_array", "ringbuf", ... */
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
  /** Hash and array maps (arrays: every index). Absent for ring buffers. */
  entries?: MapEntry[];
  /** Ring buffers and perf event arrays: each record's bytes as hex, in order. */
  records?: string[];
}

export interface GlobalDump {
  name: string;
  /** ".rodata", ".data" or ".bss". */
  section: string;
  /** The value's bytes as hex, in memory order, read after the run. */
  value: string;
}

export interface CommandResult {
  argv: string[];
  pid: number;
  exit_code: number | null;
  signal: number | null;
  timed_out: boolean;
  stdout: string;
}

export interface LoaderResult {
  object: string;
  possible_cpus: number;
  /** Records the perf buffers lost. */
  perf_lost: number;
  programs: ProgramInfo[];
  /** With the `beside` option: that object's programs. */
  beside?: { object: string; programs: ProgramInfo[] };
  maps: MapDump[];
  globals: GlobalDump[];
  command: CommandResult | null;
  /** The loader's stderr (libbpf warnings, the command's stderr). */
  stderr: string;
}

/** "btf": the programs loaded, but the kernel refused the object's BTF (libbpf calls it
 *  optional and goes on without it); every object the tests load must carry valid BTF. */
export type LoaderStage = "usage" | "open" | "load" | "attach" | "runtime" | "btf" | "crash";

const STAGES: Record<number, LoaderStage> = { 1: "usage", 2: "open", 3: "load", 4: "attach", 5: "runtime", 6: "btf" };

/** The loader failed: `stage` says where; `log` holds its stderr (the verifier log for
 *  "load", the kernel's BTF log for "btf"). */
export class LoaderError extends Error {
  constructor(
    readonly stage: LoaderStage,
    readonly exitCode: number | null,
    readonly log: string,
  ) {
    super(`loader ${stage} failed (exit ${exitCode}):\n${log}`);
    this.name = "LoaderError";
  }
}

/** The loader's argument vector for `opts` (without the loader path). */
export function loaderArgs(objPath: string, opts: LoaderOptions = {}): string[] {
  const args = [path.resolve(objPath)];
  if (opts.attach) args.push("--attach");
  for (const p of opts.attachProgs ?? []) args.push("--attach-prog", p);
  if (opts.btfCustom) args.push("--btf-custom", opts.btfCustom);
  for (const [name, hex] of Object.entries(opts.set ?? {})) args.push("--set", `${name}=${hex}`);
  if (opts.stats) args.push("--stats");
  for (const m of opts.ringbufs ?? []) args.push("--ringbuf", m);
  if (opts.timeoutSeconds !== undefined) args.push("--timeout", String(opts.timeoutSeconds));
  if (opts.verbose) args.push("--verbose");
  if (opts.beside) args.push("--beside", path.resolve(opts.beside));
  if (opts.command && opts.command.length > 0) args.push("--", ...opts.command);
  return args;
}

/**
 * Open, load (and attach, run a command) with the real kernel; returns the parsed JSON.
 * Throws LoaderError with the verifier log / libbpf messages when a stage fails.
 */
export function runLoader(objPath: string, opts: LoaderOptions = {}): LoaderResult {
  kernelAvailable();
  if (opts.attach || (opts.attachProgs?.length ?? 0) > 0) ensureTracefs();
  const timeoutMs = ((opts.timeoutSeconds ?? 30) + 60) * 1000;
  const r = run(buildLoader(), loaderArgs(objPath, opts), timeoutMs);
  return parseLoaderRun(r.status, r.stdout, r.stderr, r.signal);
}

/**
 * The loader's result from its exit status and output, wherever it ran (here, or in a
 * guest kernel: test/guest/). Throws LoaderError when a stage failed.
 */
export function parseLoaderRun(status: number | null, stdout: string, stderr: string, signal: string | null = null): LoaderResult {
  if (status !== 0) {
    const stage = status === null ? "crash" : (STAGES[status] ?? "crash");
    throw new LoaderError(stage, status, stderr || `(signal ${signal})`);
  }
  let parsed: Omit<LoaderResult, "stderr">;
  try {
    parsed = JSON.parse(stdout) as Omit<LoaderResult, "stderr">;
  } catch (e) {
    throw new Error(`loader printed invalid JSON (${(e as Error).message}):\n${stdout.slice(0, 2000)}\n${stderr}`);
  }
  return { ...parsed, stderr };
}

// ---- reading results ----------------------------------------------------------------------

/** The map called `name`; throws listing the maps that exist. */
export function getMap(result: LoaderResult, name: string): MapDump {
  const m = result.maps.find((x) => x.name === name);
  if (!m) throw new Error(`no map '${name}' in ${result.object}; maps: ${result.maps.map((x) => x.name).join(", ")}`);
  return m;
}

/** The global variable called `name`; throws listing the globals that exist. */
export function getGlobal(result: LoaderResult, name: string): GlobalDump {
  const g = result.globals.find((x) => x.name === name);
  if (!g) throw new Error(`no global '${name}' in ${result.object}; globals: ${result.globals.map((x) => x.name).join(", ") || "none"}`);
  return g;
}

/** The program called `name`; throws listing the programs that exist. */
export function getProgram(result: LoaderResult, name: string): ProgramInfo {
  const p = result.programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program '${name}' in ${result.object}; programs: ${result.programs.map((x) => x.name).join(", ")}`);
  return p;
}

function keyHex(map: MapDump, key: bigint | number | string): string {
  return typeof key === "string" ? key.toLowerCase() : encodeInt(key, map.key_size);
}

/** The entry for `key` (an integer, encoded little-endian in key_size bytes, or key hex). */
export function lookupEntry(map: MapDump, key: bigint | number | string): MapEntry | undefined {
  const k = keyHex(map, key);
  return (map.entries ?? []).find((e) => e.key === k);
}

/** Value hex for `key` in a non-per-CPU map, or undefined when the key is absent. */
export function lookup(map: MapDump, key: bigint | number | string): string | undefined {
  const e = lookupEntry(map, key);
  if (e && e.value === undefined) throw new Error(`map '${map.name}' is per-CPU (${map.type}): use lookupPerCpu`);
  return e?.value;
}

/** Per-CPU value hexes for `key`, or undefined when the key is absent. */
export function lookupPerCpu(map: MapDump, key: bigint | number | string): string[] | undefined {
  const e = lookupEntry(map, key);
  if (e && e.values === undefined) throw new Error(`map '${map.name}' is not per-CPU (${map.type}): use lookup`);
  return e?.values;
}

/** Integer value for integer `key` (value decoded as `type`), or undefined when absent. */
export function lookupInt(map: MapDump, key: bigint | number | string, type: IntType): bigint | undefined {
  const v = lookup(map, key);
  return v === undefined ? undefined : decodeInt(v, type);
}

/** All entries of an integer-keyed, integer-valued map as a Map (per-CPU values summed). */
export function intEntries(map: MapDump, valueType: IntType, keyType: IntType = `u${map.key_size * 8}` as IntType): Map<bigint, bigint> {
  const out = new Map<bigint, bigint>();
  for (const e of map.entries ?? []) {
    const v = e.value !== undefined ? decodeInt(e.value, valueType) : sumPerCpu(e.values ?? [], valueType);
    out.set(decodeInt(e.key, keyType), v);
  }
  return out;
}

/** Sum of per-CPU values decoded as `type` (wrapping is not applied). */
export function sumPerCpu(values: string[], type: IntType = "u64"): bigint {
  return values.reduce((acc, h) => acc + decodeInt(h, type), 0n);
}

// ---- decoding -------------------------------------------------------------------------------

export type IntType = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "bool";

const INT_TYPES: Record<IntType, { size: number; signed: boolean }> = {
  u8: { size: 1, signed: false },
  u16: { size: 2, signed: false },
  u32: { size: 4, signed: false },
  u64: { size: 8, signed: false },
  i8: { size: 1, signed: true },
  i16: { size: 2, signed: true },
  i32: { size: 4, signed: true },
  i64: { size: 8, signed: true },
  bool: { size: 1, signed: false },
};

export function sizeOf(type: IntType): number {
  return INT_TYPES[type].size;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex byte string: '${hex}'`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Unsigned little-endian integer of `size` bytes at byte `offset` of `hex`. */
export function decodeUnsigned(hex: string, offset = 0, size = hex.length / 2 - offset): bigint {
  const b = hexToBytes(hex);
  if (offset < 0 || size < 0 || offset + size > b.length) {
    throw new Error(`decode: bytes ${offset}..${offset + size} outside a ${b.length}-byte value`);
  }
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[offset + i]!);
  return v;
}

/** Signed (two's complement) little-endian integer of `size` bytes at byte `offset`. */
export function decodeSigned(hex: string, offset = 0, size = hex.length / 2 - offset): bigint {
  return BigInt.asIntN(size * 8, decodeUnsigned(hex, offset, size));
}

/** An integer of C type `type` at byte `offset`. */
export function decodeInt(hex: string, type: IntType, offset = 0): bigint {
  const t = INT_TYPES[type];
  return t.signed ? decodeSigned(hex, offset, t.size) : decodeUnsigned(hex, offset, t.size);
}

/** Little-endian hex of `value` in `size` bytes (two's complement for negatives). */
export function encodeInt(value: bigint | number, size: number): string {
  let v = BigInt.asUintN(size * 8, BigInt(value));
  let hex = "";
  for (let i = 0; i < size; i++) {
    hex += (v & 0xffn).toString(16).padStart(2, "0");
    v >>= 8n;
  }
  return hex;
}

/** Shorthands: `le.i32(hex, offset)`. */
export const le = {
  u8: (hex: string, offset = 0) => decodeInt(hex, "u8", offset),
  u16: (hex: string, offset = 0) => decodeInt(hex, "u16", offset),
  u32: (hex: string, offset = 0) => decodeInt(hex, "u32", offset),
  u64: (hex: string, offset = 0) => decodeInt(hex, "u64", offset),
  i8: (hex: string, offset = 0) => decodeInt(hex, "i8", offset),
  i16: (hex: string, offset = 0) => decodeInt(hex, "i16", offset),
  i32: (hex: string, offset = 0) => decodeInt(hex, "i32", offset),
  i64: (hex: string, offset = 0) => decodeInt(hex, "i64", offset),
};

export interface FieldSpec {
  offset: number;
  type: IntType;
}

/** Decode struct fields: `decodeStruct(hex, { pid: { offset: 0, type: "u32" }, ... })`. */
export function decodeStruct<F extends Record<string, FieldSpec>>(hex: string, fields: F): { [K in keyof F]: bigint } {
  const out = {} as { [K in keyof F]: bigint };
  for (const k of Object.keys(fields) as Array<keyof F>) {
    const f = fields[k];
    out[k] = decodeInt(hex, f.type, f.offset);
  }
  return out;
}

/** A NUL-terminated string of at most `size` bytes at `offset` (e.g. a comm field). */
export function decodeCString(hex: string, offset = 0, size = hex.length / 2 - offset): string {
  const b = hexToBytes(hex).subarray(offset, offset + size);
  const end = b.indexOf(0);
  return Buffer.from(end < 0 ? b : b.subarray(0, end)).toString("utf8");
}
