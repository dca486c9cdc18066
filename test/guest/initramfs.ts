// The guest's initramfs. In: the kernel modules the guest must load (kmod.ts, in load
// order). Out: an uncompressed newc archive holding a static busybox (/bin/busybox,
// Debian's busybox-static), /init (init.sh), /dev/console, and the modules as
// /lib/modules/NN-<name>.ko, numbered in load order.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { cpioArchive, type CpioEntry } from "./cpio.js";
import type { KernelModule } from "./kmod.js";
import { missingTool } from "./tool.js";

export const INIT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "init.sh");
export const BUSYBOX = "/bin/busybox";
const PT_INTERP = 3;

/** The static busybox's bytes; a dynamically linked one cannot run before the root is mounted. */
export function staticBusybox(): Buffer {
  if (!fs.existsSync(BUSYBOX)) throw missingTool("busybox");
  const bytes = fs.readFileSync(BUSYBOX);
  if (new ElfFile(bytes).segments.some((s) => s.type === PT_INTERP)) {
    throw new Error(`${BUSYBOX} is dynamically linked: install Debian's busybox-static (.ci/run does)`);
  }
  return bytes;
}

export function initramfs(modules: KernelModule[]): Buffer {
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "mnt", "lib", "lib/modules"].map((p): CpioEntry => ({ kind: "dir", path: p })),
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: staticBusybox(), mode: 0o755 },
    { kind: "file", path: "init", data: fs.readFileSync(INIT_SCRIPT), mode: 0o755 },
    ...modules.map((m, i): CpioEntry => ({ kind: "file", path: `lib/modules/${String(i + 1).padStart(2, "0")}-${m.name}.ko`, data: m.bytes })),
  ];
  return cpioArchive(entries);
}
