// The architectures guests run: how qemu emulates each (TCG), the Debian architecture of
// its packages, and how its programs get there. In: nothing. Out: the GuestArchs.
//
// An x86-64 guest runs the host's own binaries: its root is the host's, read-only (init.sh).
// An arm64 guest cannot, so it runs from its initramfs (busybox) and sees the host's test
// build directory, where its loader and workloads are built statically with a cross
// compiler (toolchain) next to the objects it loads.

import type { Toolchain } from "../harness/harness.js";
import { HOST_TOOLCHAIN } from "../harness/harness.js";

export interface GuestArch {
  /** bpftsc's name for it (compile's arch option). */
  target: "x86_64" | "arm64";
  /** Debian's name, for apt ("amd64"). */
  debian: string;
  qemu: string;
  /** qemu's machine and CPU. */
  machine: string[];
  /** Kernel command-line parameters of this architecture: the serial console. */
  append: string[];
  /** Whether the guest's root is the host's (so it runs the host's binaries). */
  hostRoot: boolean;
  /** How C programs for the guest are built. */
  toolchain: Toolchain;
  /** The modules the guest loads before it mounts its shares (and what they need). */
  modules: string[];
}

export const X86_64: GuestArch = {
  target: "x86_64",
  debian: "amd64",
  qemu: "qemu-system-x86_64",
  machine: ["-machine", "q35,accel=tcg", "-cpu", "max"],
  append: ["console=ttyS0", "edd=off"],
  hostRoot: true,
  toolchain: HOST_TOOLCHAIN,
  modules: ["virtio_pci", "virtiofs", "overlay"],
};

export const ARM64: GuestArch = {
  target: "arm64",
  debian: "arm64",
  qemu: "qemu-system-aarch64",
  // cortex-a57: "max" adds pointer authentication, which TCG emulates slowly.
  machine: ["-machine", "virt,accel=tcg", "-cpu", "cortex-a57"],
  append: ["console=ttyAMA0"],
  hostRoot: false,
  toolchain: {
    name: "arm64",
    cc: "aarch64-linux-gnu-gcc",
    // Static: the guest has no arm64 libc. libbpf.a, libelf.a and libz.a are Debian's
    // arm64 -dev packages' (multiarch, next to the host's).
    flags: ["-static", "-L/usr/lib/aarch64-linux-gnu"],
  },
  modules: ["virtio_pci", "virtiofs"],
};
