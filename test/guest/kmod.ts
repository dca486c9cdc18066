// Kernel modules for an initramfs, without depmod or modprobe. In: an unpacked
// linux-image package's /lib/modules/<release> directory and the names of the modules the
// guest needs. Out: those modules and everything they depend on (the `depends=` of each
// one's .modinfo section), dependencies first, built-in ones (modules.builtin) left out,
// each decompressed, ready for busybox insmod in that order.

import * as fs from "node:fs";
import * as path from "node:path";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { tool } from "./tool.js";

export interface KernelModule { name: string; bytes: Uint8Array }

const MODULE_FILE = /^(.*)\.ko(\.xz|\.zst)?$/;

/** A module's name from its file: `virtio-rng.ko.xz` is `virtio_rng`. */
function moduleName(file: string): string | undefined {
  const m = MODULE_FILE.exec(path.basename(file));
  return m ? m[1]!.replace(/-/g, "_") : undefined;
}

function moduleFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const name = moduleName(rel);
    if (name) out.set(name, path.join(dir, rel));
  }
  return out;
}

function readModule(file: string): Uint8Array {
  const bytes = fs.readFileSync(file);
  if (file.endsWith(".xz")) return tool("xz", ["-dc"], { input: bytes });
  if (file.endsWith(".zst")) return tool("zstd", ["-dc"], { input: bytes });
  return bytes;
}

function dependsOf(name: string, bytes: Uint8Array): string[] {
  const info = new ElfFile(bytes).sectionData(".modinfo");
  if (!info) throw new Error(`module ${name} has no .modinfo section`);
  const entry = Buffer.from(info).toString("latin1").split("\0").find((s) => s.startsWith("depends="));
  return (entry?.slice("depends=".length) ?? "").split(",").filter(Boolean);
}

export function modulesInOrder(modulesDir: string, wanted: string[]): KernelModule[] {
  const files = moduleFiles(path.join(modulesDir, "kernel"));
  const builtinList = path.join(modulesDir, "modules.builtin");
  const builtin = new Set(fs.readFileSync(builtinList, "utf8").split("\n").map(moduleName).filter((n) => n !== undefined));
  const ordered: KernelModule[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, from: string) => {
    if (done.has(name) || builtin.has(name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle through ${name}`);
    const file = files.get(name);
    if (!file) throw new Error(`module ${name} (${from}) is neither in ${modulesDir}/kernel nor built in`);
    visiting.add(name);
    const bytes = readModule(file);
    for (const dep of dependsOf(name, bytes)) visit(dep, `needed by ${name}`);
    visiting.delete(name);
    done.add(name);
    ordered.push({ name, bytes });
  };
  for (const name of wanted) visit(name, "wanted");
  return ordered;
}
