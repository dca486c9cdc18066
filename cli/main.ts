// The `bpftsc` command's entry: picks the subcommand. In: argv without node and the
// script. Out: the exit status. Each subcommand is imported only when asked for, so a
// compile never loads libbpf or koffi, and a `run` whose object is cached never loads
// the compiler (dist/compiler.cjs, scripts/bundle.mjs) or the TypeScript compiler.

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "types") return (await import("./types.js")).typesMain(argv.slice(1));
  if (argv[0] === "run") return (await import("./run.js")).runMain(argv.slice(1));
  return (await import("./compile.js")).compileMain(argv);
}
