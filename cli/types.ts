// `bpftsc types`: writes TypeScript declarations of kernel structs and enums for editors.
// In: argv after "types": [--btf FILE] [-o out.d.ts] [--depth N] TYPE...
// Out: the .d.ts text on stdout or in the -o file. Exit status: 0 written, 1 a type or the
// BTF file could not be found or read, 2 bad usage (as for `bpftsc` itself).

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { loadKernelBtf, type KernelBtf } from "../compiler/debuginfo/kernel-btf.js";
import { kernelTypesToTs } from "../compiler/debuginfo/ts-decls.js";

const USAGE = `Usage: bpftsc types [--btf <file>] [-o <out.d.ts>] [--depth <n>] <type>...

Writes TypeScript declarations of kernel structs, unions and typedefs of them, for use as
Ptr<file> etc. in probe files: the named types, the structs they embed, and the structs
they point to up to <n> pointer hops away; structs beyond are declared empty. Kernel
enums (named, or the types of members) are declared with this kernel's values, for
enumValue() and enumExists().

  --btf <file>     BTF to read (default /sys/kernel/btf/vmlinux)
  -o <file>        write the declarations there (default: standard output)
  --depth <n>      pointer hops to follow from the named types (default 2)
  -h, --help       this text
`;

interface TypesArgs { btf: string; output?: string; depth: number; types: string[] }

function parseTypesArgs(argv: string[]): TypesArgs | string {
  const args: TypesArgs = { btf: "/sys/kernel/btf/vmlinux", depth: 2, types: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | undefined => (i + 1 < argv.length ? argv[++i] : undefined);
    if (a === "--btf") {
      const v = value();
      if (v === undefined) return "--btf needs a file name";
      args.btf = v;
    } else if (a === "-o") {
      const v = value();
      if (v === undefined) return "-o needs a file name";
      args.output = v;
    } else if (a === "--depth") {
      const v = value();
      if (v === undefined || !/^\d+$/.test(v)) return "--depth needs a non-negative integer";
      args.depth = Number(v);
    } else if (a.startsWith("-")) return `unknown option '${a}'`;
    else args.types.push(a);
  }
  if (args.types.length === 0) return "no type names";
  return args;
}

export function typesMain(argv: string[]): number {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parseTypesArgs(argv);
  if (typeof args === "string") {
    process.stderr.write(`bpftsc types: ${args}\n${USAGE}`);
    return 2;
  }
  let btf: KernelBtf;
  try {
    btf = loadKernelBtf(args.btf);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    process.stderr.write(`bpftsc types: cannot read BTF from '${args.btf}': ${why}\n`);
    return 1;
  }
  const result = kernelTypesToTs(btf, args.types, { depth: args.depth });
  if (result.unknown.length > 0) {
    for (const u of result.unknown) {
      process.stderr.write(`bpftsc types: no struct, union, typedef or enum named '${u}' in ${args.btf}\n`);
    }
    return 1;
  }
  if (args.output === undefined) {
    process.stdout.write(result.text);
    return 0;
  }
  // Written beside the target and renamed over it, so a reader never sees half a file.
  const tmp = join(dirname(args.output), `.${basename(args.output)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, result.text);
    renameSync(tmp, args.output);
  } catch (e) {
    rmSync(tmp, { force: true });
    process.stderr.write(`bpftsc types: cannot write '${args.output}': ${(e as NodeJS.ErrnoException).code ?? e}\n`);
    return 1;
  }
  return 0;
}
