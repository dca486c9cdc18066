// Runs the host tools that prepare guest kernels (apt-get, dpkg-deb, lz4, zstd, xz, ...).
// In: a command, its arguments, optional stdin bytes. Out: its stdout as bytes; a missing
// tool, a non-zero exit or a timeout throws, naming the Debian package that provides it.

import { spawnSync } from "node:child_process";

const PACKAGE_OF: Record<string, string> = {
  "apt-get": "apt", "apt-cache": "apt", "dpkg-deb": "dpkg", lz4: "lz4", zstd: "zstd", xz: "xz-utils",
  "qemu-system-x86_64": "qemu-system-x86", "qemu-system-aarch64": "qemu-system-arm", "/usr/lib/qemu/virtiofsd": "qemu-system-common",
};

/** The error for a tool that is not installed: .ci/run installs every one of them. */
export function missingTool(cmd: string): Error {
  return new Error(`${cmd} not found: install Debian's ${PACKAGE_OF[cmd] ?? cmd} (.ci/run installs what the guest tests need)`);
}

export interface ToolOptions { input?: Uint8Array; cwd?: string; timeoutMs?: number }

export function tool(cmd: string, args: string[], opts: ToolOptions = {}): Buffer {
  const r = spawnSync(cmd, args, {
    input: opts.input, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1 << 30,
  });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT") throw missingTool(cmd);
    throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal}):\n${r.stderr.toString().slice(-4000)}`);
  }
  return r.stdout;
}
