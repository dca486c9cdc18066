// The two compilers as the benchmark runs them, whole commands as a user would type them:
//   bpftsc SRC.ts --cpu CPU -o OUT.o
//   clang-19 -O2 -g -target bpf -mcpu=CPU -D__TARGET_ARCH_<host> -I<vmlinux.h> -c SRC.bpf.c -o OUT.o
// bpftsc is bin/bpftsc.js run as the command npm installs, through its #! line, which
// starts Node without NODE_EXTRA_CA_CERTS: `node bin/bpftsc.js` would parse those
// certificates before any of bpftsc runs (50-100 ms of each compile on the test machine).
// In: the sources, the CPU version (both compilers) and clang's extra arguments, the
// include directories.
// Out: command lines.

import * as path from "node:path";
import { TARGET_ARCH_DEFINE } from "../test/harness/harness.js";

export const CLANG = "clang-19";

export interface Toolchain {
  repo: string;
  /** The BPF CPU version: bpftsc's --cpu and clang's -mcpu. */
  cpu: "v3" | "v4";
  clangArgs: string[];
  /** Directory of the vmlinux.h the C sources include. */
  vmlinuxDir: string;
  /** Include arguments that make "vmlinux.h" the few UAPI headers a probe needs. */
  leanArgs: string[];
}

export type Command = [string, string[]];

export function bpftsc(tc: Toolchain, src: string, out: string): Command {
  return [path.join(tc.repo, "bin", "bpftsc.js"), [src, "--cpu", tc.cpu, "-o", out]];
}

export function clang(tc: Toolchain, src: string, out: string, headers: "vmlinux" | "lean" = "vmlinux"): Command {
  const inc = headers === "vmlinux" ? [`-I${tc.vmlinuxDir}`] : tc.leanArgs;
  return [CLANG, ["-O2", "-g", "-target", "bpf", `-mcpu=${tc.cpu}`, TARGET_ARCH_DEFINE, ...inc, ...tc.clangArgs, "-c", src, "-o", out]];
}
