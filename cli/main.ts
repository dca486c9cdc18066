// The `bpftsc` command's entry: picks the subcommand. In: argv without node and the
// script. Out: the exit status. `run` is imported only when asked for, so a compile never
// loads libbpf or koffi.

import { compileMain } from "./compile.js";
import { typesMain } from "./types.js";

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "types") return typesMain(argv.slice(1));
  if (argv[0] === "run") return (await import("./run.js")).runMain(argv.slice(1));
  return compileMain(argv);
}
