// The guest kernels: Debian's 6.1 and 6.12 cloud kernels for x86-64, and its 6.1 cloud
// kernel for arm64, downloaded and cached as packages (packages.ts). In: a kernel id
// ("6.1", "6.12", "6.1-arm64"). Out: its architecture, the paths of its vmlinuz, its BTF
// (byte-identical to the guest's /sys/kernel/btf/vmlinux) and an initramfs that boots it
// (init.sh).
//
// A kernel's cache directory (packages.ts) holds vmlinuz, vmlinux.btf, release, config,
// modules/NN-<name>.ko (the modules the guest loads, in load order) and
// initramfs-<hash>.cpio (named by the hash of its contents), each made once, when missing.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ARM64, X86_64, type GuestArch } from "./arch.js";
import { initramfs, staticBusybox } from "./initramfs.js";
import { modulesInOrder, type KernelModule } from "./kmod.js";
import { cachedPackage, dependsOf } from "./packages.js";
import { btfOfVmlinuz } from "./vmlinuz.js";

/** Each kernel's architecture, meta-package, and the shape of the versioned package it
 *  depends on. */
const KERNELS = {
  "6.1": { arch: X86_64, meta: "linux-image-cloud-amd64", image: /^linux-image-6\.1\.0-\d+-cloud-amd64$/ },
  "6.12": { arch: X86_64, meta: "linux-image-6.12-cloud-amd64", image: /^linux-image-6\.12\.\d+\+deb\d+-cloud-amd64$/ },
  "6.1-arm64": { arch: ARM64, meta: "linux-image-cloud-arm64", image: /^linux-image-6\.1\.0-\d+-cloud-arm64$/ },
} satisfies Record<string, { arch: GuestArch; meta: string; image: RegExp }>;

export type KernelId = keyof typeof KERNELS;

export const KERNEL_IDS = Object.keys(KERNELS) as KernelId[];

export interface GuestKernel {
  id: KernelId;
  arch: GuestArch;
  /** The linux-image package and version. */
  package: string;
  version: string;
  /** `uname -r` in the guest. */
  release: string;
  vmlinuz: string;
  btf: string;
  initramfs: string;
  /** Its build configuration: CONFIG_KPROBES -> "y", ... (options that are not set are absent). */
  config: ReadonlyMap<string, string>;
}

export function prepareKernel(id: KernelId): GuestKernel {
  const { arch } = KERNELS[id];
  const pkg = cachedPackage(imagePackage(id), arch.debian, (root, out) => unpackKernel(root, out, arch));
  const archive = initramfs(staticBusybox(arch), cachedModules(path.join(pkg.dir, "modules")));
  const image = path.join(pkg.dir, `initramfs-${createHash("sha256").update(archive).digest("hex").slice(0, 12)}.cpio`);
  if (!fs.existsSync(image)) {
    const tmp = `${image}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, archive);
    fs.renameSync(tmp, image);
  }
  const release = fs.readFileSync(path.join(pkg.dir, "release"), "utf8").trim();
  const config = new Map([...fs.readFileSync(path.join(pkg.dir, "config"), "utf8").matchAll(/^(CONFIG_\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  return {
    id, arch, package: pkg.name, version: pkg.version, release,
    vmlinuz: path.join(pkg.dir, "vmlinuz"), btf: path.join(pkg.dir, "vmlinux.btf"), initramfs: image, config,
  };
}

function imagePackage(id: KernelId): string {
  const { arch, meta, image } = KERNELS[id];
  const deps = dependsOf(meta, arch.debian);
  const pkg = deps.find((d) => image.test(d));
  if (!pkg) throw new Error(`apt's ${meta}:${arch.debian} does not depend on a ${image} package (it depends on: ${deps.join(", ") || "nothing"})`);
  return pkg;
}

/** From the unpacked package in `root`, writes vmlinuz, vmlinux.btf, release, config, modules/ to `out`. */
function unpackKernel(root: string, out: string, arch: GuestArch): void {
  const [release, ...more] = fs.readdirSync(path.join(root, "lib", "modules"));
  if (!release || more.length) throw new Error(`expected one /lib/modules/<release> in the package, found ${[release, ...more].join(", ")}`);
  const vmlinuz = fs.readFileSync(path.join(root, "boot", `vmlinuz-${release}`));
  fs.writeFileSync(path.join(out, "vmlinuz"), vmlinuz);
  fs.writeFileSync(path.join(out, "vmlinux.btf"), btfOfVmlinuz(vmlinuz));
  fs.writeFileSync(path.join(out, "release"), `${release}\n`);
  fs.copyFileSync(path.join(root, "boot", `config-${release}`), path.join(out, "config"));
  fs.mkdirSync(path.join(out, "modules"));
  modulesInOrder(path.join(root, "lib", "modules", release), arch.modules).forEach((m, i) => {
    fs.writeFileSync(path.join(out, "modules", `${String(i + 1).padStart(2, "0")}-${m.name}.ko`), m.bytes);
  });
}

function cachedModules(dir: string): KernelModule[] {
  return fs.readdirSync(dir).sort().map((f) => ({ name: f.replace(/^\d+-|\.ko$/g, ""), bytes: fs.readFileSync(path.join(dir, f)) }));
}
