// The guest kernels: Debian's 6.1 and 6.12 cloud kernels, downloaded with apt-get (never
// installed on the host) and cached. In: a kernel id ("6.1", "6.12"). Out: the paths of
// its vmlinuz, its BTF (byte-identical to the guest's /sys/kernel/btf/vmlinux) and an
// initramfs that boots it into the host's root (init.sh).
//
// The cache ($BPFTSC_GUEST_CACHE, default ~/.cache/bpftsc-guests) holds one directory per
// package version, <package>_<version>/: vmlinuz, vmlinux.btf, release, modules/NN-<name>.ko
// (the modules the guest loads, in load order) and initramfs-<hash>.cpio (hash of init.sh
// and busybox). Each is made once, when missing, and published by an atomic rename, so
// parallel test processes and worktrees can share the cache.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INIT_SCRIPT, initramfs, staticBusybox } from "./initramfs.js";
import { modulesInOrder, type KernelModule } from "./kmod.js";
import { tool } from "./tool.js";
import { btfOfVmlinuz } from "./vmlinuz.js";

export type KernelId = "6.1" | "6.12";

/** Each kernel's meta-package, and the shape of the versioned package it depends on. */
const KERNELS: Record<KernelId, { meta: string; image: RegExp }> = {
  "6.1": { meta: "linux-image-cloud-amd64", image: /^linux-image-6\.1\.0-\d+-cloud-amd64$/ },
  "6.12": { meta: "linux-image-6.12-cloud-amd64", image: /^linux-image-6\.12\.\d+\+deb\d+-cloud-amd64$/ },
};

export const KERNEL_IDS = Object.keys(KERNELS) as KernelId[];

/** What the guest loads before mounting its root: virtio-pci, virtio-fs, overlayfs (and
 *  what they need). Kernels that build them in have nothing to load. */
const GUEST_MODULES = ["virtio_pci", "virtiofs", "overlay"];

export interface GuestKernel {
  id: KernelId;
  /** The linux-image package and version. */
  package: string;
  version: string;
  /** `uname -r` in the guest. */
  release: string;
  vmlinuz: string;
  btf: string;
  initramfs: string;
}

export function cacheDir(): string {
  return process.env.BPFTSC_GUEST_CACHE ?? path.join(os.homedir(), ".cache", "bpftsc-guests");
}

export function prepareKernel(id: KernelId): GuestKernel {
  const pkg = imagePackage(id);
  const version = candidateVersion(pkg);
  const dir = path.join(cacheDir(), `${pkg}_${version}`);
  if (!fs.existsSync(dir)) publishDir(dir, (tmp) => unpackKernel(pkg, tmp));
  const hash = createHash("sha256").update(fs.readFileSync(INIT_SCRIPT)).update(staticBusybox()).digest("hex").slice(0, 12);
  const image = path.join(dir, `initramfs-${hash}.cpio`);
  if (!fs.existsSync(image)) {
    const tmp = `${image}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, initramfs(cachedModules(path.join(dir, "modules"))));
    fs.renameSync(tmp, image);
  }
  const release = fs.readFileSync(path.join(dir, "release"), "utf8").trim();
  return { id, package: pkg, version, release, vmlinuz: path.join(dir, "vmlinuz"), btf: path.join(dir, "vmlinux.btf"), initramfs: image };
}

// ---- apt --------------------------------------------------------------------------------

let updated = false;

/** `apt-cache` output for a package; runs `apt-get update` once if apt does not know it. */
function aptCache(command: "depends" | "policy", pkg: string): string {
  const ask = () => tool("apt-cache", [command, pkg]).toString();
  const out = (() => { try { return ask(); } catch { return ""; } })();
  if (/Depends:|Candidate: [^(]/.test(out) || updated) return out;
  updated = true;
  tool("apt-get", ["update", "-q"], { timeoutMs: 300_000 });
  return ask();
}

function imagePackage(id: KernelId): string {
  const { meta, image } = KERNELS[id];
  const deps = [...aptCache("depends", meta).matchAll(/Depends: (\S+)/g)].map((m) => m[1]!);
  const pkg = deps.find((d) => image.test(d));
  if (!pkg) throw new Error(`apt's ${meta} does not depend on a ${image} package (it depends on: ${deps.join(", ") || "nothing"})`);
  return pkg;
}

function candidateVersion(pkg: string): string {
  const m = /Candidate: ([^\s(]\S*)/.exec(aptCache("policy", pkg));
  if (!m) throw new Error(`apt has no candidate version of ${pkg}`);
  return m[1]!;
}

// ---- the cache --------------------------------------------------------------------------

/** Fills a temporary directory with `make` and renames it to `dir` (losing a race is fine). */
function publishDir(dir: string, make: (tmp: string) => void): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    make(tmp);
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (!fs.existsSync(dir)) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Downloads and unpacks the package into `out`: vmlinuz, vmlinux.btf, release, modules/. */
function unpackKernel(pkg: string, out: string): void {
  const work = path.join(out, "download");
  fs.mkdirSync(work);
  tool("apt-get", ["download", "-q", pkg], { cwd: work, timeoutMs: 600_000 });
  const deb = fs.readdirSync(work).find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`);
  const root = path.join(work, "root");
  tool("dpkg-deb", ["-x", path.join(work, deb), root], { timeoutMs: 300_000 });
  const [release, ...more] = fs.readdirSync(path.join(root, "lib", "modules"));
  if (!release || more.length) throw new Error(`${deb}: expected one /lib/modules/<release>, found ${[release, ...more].join(", ")}`);
  const vmlinuz = fs.readFileSync(path.join(root, "boot", `vmlinuz-${release}`));
  fs.writeFileSync(path.join(out, "vmlinuz"), vmlinuz);
  fs.writeFileSync(path.join(out, "vmlinux.btf"), btfOfVmlinuz(vmlinuz));
  fs.writeFileSync(path.join(out, "release"), `${release}\n`);
  fs.mkdirSync(path.join(out, "modules"));
  modulesInOrder(path.join(root, "lib", "modules", release), GUEST_MODULES).forEach((m, i) => {
    fs.writeFileSync(path.join(out, "modules", `${String(i + 1).padStart(2, "0")}-${m.name}.ko`), m.bytes);
  });
  fs.rmSync(work, { recursive: true, force: true });
}

function cachedModules(dir: string): KernelModule[] {
  return fs.readdirSync(dir).sort().map((f) => ({ name: f.replace(/^\d+-|\.ko$/g, ""), bytes: fs.readFileSync(path.join(dir, f)) }));
}
