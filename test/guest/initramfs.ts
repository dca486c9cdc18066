// The guest's initramfs. In: the guest architecture's static busybox (Debian's
// busybox-static for that architecture, cached as a package) and the kernel modules the
// guest must load (kmod.ts, in load order). Out: an uncompressed newc archive holding
// /bin/busybox, /init (init.sh), /dev/console, and the modules as
// /lib/modules/NN-<name>.ko, numbered in load order.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import type { GuestArch } from "./arch.js";
import { cpioArchive, type CpioEntry } from "./cpio.js";
import type { KernelModule } from "./kmod.js";
import { cachedPackage } from "./packages.js";

const INIT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "init.sh");
const PT_INTERP = 3;

/** The static busybox's bytes; a dynamically linked one cannot run before the root is mounted. */
export function staticBusybox(arch: GuestArch): Buffer {
  const pkg = cachedPackage("busybox-static", arch.debian, (root, out) => fs.copyFileSync(path.join(root, "bin", "busybox"), path.join(out, "busybox")));
  const file = path.join(pkg.dir, "busybox");
  const bytes = fs.readFileSync(file);
  if (new ElfFile(bytes).segments.some((s) => s.type === PT_INTERP)) throw new Error(`${file} is dynamically linked`);
  return bytes;
}

export function initramfs(busybox: Uint8Array, modules: KernelModule[]): Buffer {
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "mnt", "tmp", "lib", "lib/modules"].map((p): CpioEntry => ({ kind: "dir", path: p })),
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    { kind: "file", path: "init", data: fs.readFileSync(INIT_SCRIPT), mode: 0o755 },
    ...modules.map((m, i): CpioEntry => ({ kind: "file", path: `lib/modules/${String(i + 1).padStart(2, "0")}-${m.name}.ko`, data: m.bytes })),
  ];
  return cpioArchive(entries);
}
