// `bpftsc <probe.ts>`: compiling one probe file. In: argv (after dispatch by main.ts).
// Out: the object written atomically (a failed compile leaves an existing output
// untouched), or the -S listing / --dump-ir text on stdout; diagnostics tsc-style on
// stderr. Exit status: 0 compiled, 1 errors in the input, 2 bad usage.

import { readFileSync, renameSync, statSync, writeFileSync, unlinkSync } from "node:fs";
import { dirname, basename, join, resolve } from "node:path";
import { CPU_VERSIONS, isCpuVersion } from "../compiler/bpf/cpu.js";
import { compile } from "../compiler/compile.js";
import { formatDiagnostic, makeDiagnostic } from "../compiler/diagnostics.js";
import { packageRoot } from "../compiler/package-root.js";

const USAGE = `Usage: bpftsc <probe.ts> [-o <out.o>] [-S|--emit-asm] [--dump-ir] [--btf <file>] [--arch <arch>] [--cpu v3|v4]
       bpftsc types [--btf <file>] [-o <out.d.ts>] [--depth N] <struct>...
       bpftsc run <probe.ts> [-c <command>] [-d <s>] [-i <s>] [--json] [--set NAME=VALUE]...

  -o <file>        write the BPF ELF object (default: <probe>.o beside the input)
  -S, --emit-asm   print each program's instructions with their TypeScript lines
  --dump-ir        print the intermediate representation
  --btf <file>     kernel BTF for function prototypes and struct layouts
                   (default /sys/kernel/btf/vmlinux)
  --arch <arch>    the probed architecture, x86_64 or arm64 (default: this machine's);
                   give that kernel's BTF with --btf
  --cpu v3|v4      the BPF instruction set, as clang's -mcpu: v3 (default) loads on
                   kernels 5.1 and later, v4 (sign-extending loads and moves, signed
                   division) on 6.6 and later
  types            write TypeScript declarations of kernel structs from BTF
  run              load and attach the probe, print its events and maps (run -h)
  -h, --help       this text
  --version        the compiler's version
`;

interface Args { input: string; output?: string; emitAsm: boolean; dumpIr: boolean; btf?: string; arch?: string; cpu?: string }

function parseArgs(argv: string[]): Args | string {
  const args: Partial<Args> & { emitAsm: boolean; dumpIr: boolean } = { emitAsm: false, dumpIr: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o") {
      if (i + 1 >= argv.length) return "-o needs a file name";
      args.output = argv[++i];
    } else if (a === "--btf") {
      if (i + 1 >= argv.length) return "--btf needs a file name";
      args.btf = argv[++i];
    } else if (a === "--arch") {
      if (i + 1 >= argv.length) return "--arch needs an architecture (x86_64 or arm64)";
      args.arch = argv[++i];
    } else if (a === "--cpu") {
      if (i + 1 >= argv.length) return "--cpu needs a BPF CPU version (v3 or v4)";
      args.cpu = argv[++i];
      if (!isCpuVersion(args.cpu!)) return `--cpu takes ${CPU_VERSIONS.join(" or ")}, not '${args.cpu}'`;
    } else if (a === "-S" || a === "--emit-asm") args.emitAsm = true;
    else if (a === "--dump-ir") args.dumpIr = true;
    else if (a.startsWith("-")) return `unknown option '${a}'`;
    else if (args.input) return `one input file at a time ('${args.input}' and '${a}')`;
    else args.input = a;
  }
  if (!args.input) return "no input file";
  return args as Args;
}

export function compileMain(argv: string[]): number {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.includes("--version")) {
    process.stdout.write(`bpftsc ${readVersion()}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") return usageError(args);
  if (!/\.[cm]?ts$/.test(args.input)) return usageError(`'${args.input}' is not a TypeScript file: a probe file's name ends in .ts`);
  const out = args.output ?? args.input.replace(/\.[cm]?ts$/, "") + ".o";
  if (sameFile(out, args.input)) return usageError(`-o ${out} would overwrite the probe file itself`);
  let source: string;
  try {
    // Only a regular file: reading a FIFO or a device would block or never end.
    if (!statSync(args.input).isFile()) throw Object.assign(new Error("not a regular file"), { code: "not a regular file" });
    source = readFileSync(args.input, "utf8");
  } catch (e) {
    process.stderr.write(formatDiagnostic(makeDiagnostic("fileRead", { file: args.input, line: 0, col: 0 }, args.input, (e as NodeJS.ErrnoException).code ?? String(e))) + "\n");
    return 1;
  }
  let result;
  try {
    result = compile({ fileName: args.input, source, dumpIr: args.dumpIr, listing: args.emitAsm, btfPath: args.btf, arch: args.arch, cpu: args.cpu, parallel: true });
  } catch (e) {
    // Never a stack trace for the user: an internal error is reported as one line.
    process.stderr.write(formatDiagnostic(makeDiagnostic("internal", { file: args.input, line: 0, col: 0 }, (e as Error).message)) + "\n");
    return 1;
  }
  for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  if (result.ir) process.stdout.write(result.ir);
  if (!result.object) return 1;
  if (args.emitAsm) {
    process.stdout.write(result.listing ?? "");
    if (!args.output) return 0;
  }
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, result.object);
    renameSync(tmp, out);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* not created */ }
    process.stderr.write(formatDiagnostic(makeDiagnostic("fileWrite", { file: out, line: 0, col: 0 }, out, (e as NodeJS.ErrnoException).code ?? String(e))) + "\n");
    return 1;
  }
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(formatDiagnostic(makeDiagnostic("usage", { file: "bpftsc", line: 0, col: 0 }, message)) + `\n${USAGE}`);
  return 2;
}

/** Whether two paths name one file (the second exists; the first may not). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const x = statSync(a), y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"));
    return pkg.version;
  } catch {
    return "unknown";
  }
}
