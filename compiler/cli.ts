// The `bpftsc` command: argument parsing, reading the probe file, writing the object
// atomically (a failed compile leaves an existing output untouched), printing
// diagnostics tsc-style. Exit status: 0 compiled, 1 errors in the input, 2 bad usage.

import { readFileSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { compile } from "./compile.js";
import { formatDiagnostic, makeDiagnostic } from "./diagnostics.js";
import { packageRoot } from "./package-root.js";
import { typesMain } from "./types-cli.js";

const USAGE = `Usage: bpftsc <probe.ts> [-o <out.o>] [-S|--emit-asm] [--dump-ir] [--btf <file>]
       bpftsc types [--btf <file>] [-o <out.d.ts>] [--depth N] <struct>...

  -o <file>        write the BPF ELF object (default: <probe>.o beside the input)
  -S, --emit-asm   print each program's instructions with their TypeScript lines
  --dump-ir        print the intermediate representation
  --btf <file>     kernel BTF for function prototypes and struct layouts
                   (default /sys/kernel/btf/vmlinux)
  types            write TypeScript declarations of kernel structs from BTF
  -h, --help       this text
  --version        the compiler's version
`;

interface Args { input: string; output?: string; emitAsm: boolean; dumpIr: boolean; btf?: string }

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
    } else if (a === "-S" || a === "--emit-asm") args.emitAsm = true;
    else if (a === "--dump-ir") args.dumpIr = true;
    else if (a.startsWith("-")) return `unknown option '${a}'`;
    else if (args.input) return `one input file at a time ('${args.input}' and '${a}')`;
    else args.input = a;
  }
  if (!args.input) return "no input file";
  return args as Args;
}

export function main(argv: string[]): number {
  if (argv[0] === "types") return typesMain(argv.slice(1));
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.includes("--version")) {
    process.stdout.write(`bpftsc ${readVersion()}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`bpftsc: ${args}\n${USAGE}`);
    return 2;
  }
  let source: string;
  try {
    source = readFileSync(args.input, "utf8");
  } catch (e) {
    process.stderr.write(formatDiagnostic(makeDiagnostic("fileRead", { file: args.input, line: 0, col: 0 }, args.input, (e as NodeJS.ErrnoException).code ?? String(e))) + "\n");
    return 1;
  }
  let result;
  try {
    result = compile({ fileName: args.input, source, dumpIr: args.dumpIr, listing: args.emitAsm, btfPath: args.btf });
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
  const out = args.output ?? args.input.replace(/\.[cm]?ts$/, "") + ".o";
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

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8"));
    return pkg.version;
  } catch {
    return "unknown";
  }
}
