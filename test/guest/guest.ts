// Boots a guest kernel under qemu (TCG: this machine's KVM is a nested paravirtual one
// that cannot run guests) and runs one shell script in it. In: a prepared kernel
// (kernels.ts) and the script's text. Out: the files the script left in its work
// directory (/bpftsc-guest in the guest), the serial console's log and the run's wall time.
//
// The guest sees host directories through virtio-fs, read-only, at their host paths
// (init.sh): a guest of the host's architecture sees the host's root, under a tmpfs
// overlay, so it runs the host's binaries; another sees only the test build directory
// (its static loader and workloads, and the objects, test/.build) and the kernel's cache
// directory (its BTF). The work directory is one more, writable share. Each share is
// served by its own virtiofsd (qemu 7.2's, which needs -o sandbox=chroot here). A guest
// that does not finish its script in time, or at all, is a GuestError carrying the
// console log.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUILD_DIR } from "../harness/harness.js";
import type { GuestKernel } from "./kernels.js";
import { missingTool } from "./tool.js";

const VIRTIOFSD = "/usr/lib/qemu/virtiofsd";
const MEMORY_MB = 1024;

export interface GuestOptions {
  /** The whole run, boot to power-off. */
  timeoutMs: number;
  cpus?: number;
}

export interface GuestRun {
  /** The work directory's files after the run, by name (batch.log, batch.rc, the script's). */
  files: Map<string, Buffer>;
  console: string;
  seconds: number;
}

export class GuestError extends Error {
  constructor(message: string, readonly console: string) {
    super(`${message}\n---- guest console (last 6000 bytes) ----\n${console.slice(-6000)}`);
    this.name = "GuestError";
  }
}

export async function runInGuest(kernel: GuestKernel, script: string, opts: GuestOptions): Promise<GuestRun> {
  if (!fs.existsSync(VIRTIOFSD)) throw missingTool(VIRTIOFSD);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bpftsc-guest-${kernel.id}-`));
  const share = path.join(dir, "work");
  fs.mkdirSync(share);
  fs.writeFileSync(path.join(share, "batch.sh"), script);
  const consoleLog = path.join(dir, "console.log");
  const started = Date.now();
  const children: ChildProcess[] = [];
  const shares = sharesOf(kernel);
  try {
    const daemons = [
      ...shares.map((source, i) => virtiofsd(dir, `share${i}`, source, "always")),
      virtiofsd(dir, "work", share, "none"),
    ];
    children.push(...daemons.map((d) => d.child));
    await Promise.all(daemons.map((d) => d.ready));
    const qemu = spawn(kernel.arch.qemu, qemuArgs(kernel, dir, consoleLog, shares, opts.cpus ?? 1), { stdio: ["ignore", "ignore", "pipe"] });
    children.push(qemu);
    const exit = await exited(qemu, opts.timeoutMs);
    const log = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, "latin1") : "";
    if (exit.error) throw exit.error.code === "ENOENT" ? missingTool(kernel.arch.qemu) : exit.error;
    if (exit.timedOut) throw new GuestError(`the ${kernel.release} guest did not power off within ${opts.timeoutMs / 1000} s`, log);
    if (exit.code !== 0) throw new GuestError(`qemu exited ${exit.code ?? exit.signal}: ${exit.stderr.trim()}`, log);
    const files = new Map(fs.readdirSync(share).map((f) => [f, fs.readFileSync(path.join(share, f))]));
    if (!files.has("batch.rc")) throw new GuestError(`the ${kernel.release} guest powered off before finishing its script`, log);
    return { files, console: log, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A virtiofsd serving `source` on <dir>/<tag>.sock; `ready` resolves when the socket exists. */
function virtiofsd(dir: string, tag: string, source: string, cache: string) {
  const socket = path.join(dir, `${tag}.sock`);
  const log = fs.openSync(path.join(dir, `virtiofsd-${tag}.log`), "w");
  const child = spawn(VIRTIOFSD, [`--socket-path=${socket}`, "-o", `source=${source}`, "-o", "sandbox=chroot", "-o", `cache=${cache}`, "-o", "log_level=warn"], {
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = () => {
      if (fs.existsSync(socket)) return resolve();
      const why = child.exitCode !== null ? `exited ${child.exitCode}` : Date.now() > deadline ? "did not create its socket in 10 s" : undefined;
      if (why) return reject(new Error(`virtiofsd for ${source} ${why}:\n${fs.readFileSync(path.join(dir, `virtiofsd-${tag}.log`), "utf8")}`));
      setTimeout(poll, 20);
    };
    child.on("error", (e) => reject((e as NodeJS.ErrnoException).code === "ENOENT" ? missingTool(VIRTIOFSD) : e));
    poll();
  });
  return { child, ready };
}

/** The host directories the guest sees: the host's root, or what a guest of another
 *  architecture needs of it. */
function sharesOf(kernel: GuestKernel): string[] {
  if (kernel.arch.hostRoot) return ["/"];
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  return [BUILD_DIR, path.dirname(kernel.btf)];
}

function qemuArgs(kernel: GuestKernel, dir: string, consoleLog: string, shares: string[], cpus: number): string[] {
  const share = (tag: string) => [
    "-chardev", `socket,id=${tag},path=${path.join(dir, `${tag}.sock`)}`,
    "-device", `vhost-user-fs-pci,chardev=${tag},tag=${tag}`,
  ];
  return [
    ...kernel.arch.machine, "-smp", String(cpus), "-m", `${MEMORY_MB}M`,
    // virtio-fs needs the guest's memory shared with virtiofsd.
    "-object", `memory-backend-memfd,id=mem,size=${MEMORY_MB}M,share=on`, "-numa", "node,memdev=mem",
    ...shares.flatMap((_, i) => share(`share${i}`)), ...share("work"),
    "-kernel", kernel.vmlinuz, "-initrd", kernel.initramfs,
    "-append", [...kernel.arch.append, "loglevel=4", "panic=-1", `bpftsc_shares=${shares.join(":")}`].join(" "),
    "-serial", `file:${consoleLog}`, "-display", "none", "-vga", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
  ];
}

interface Exit { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; stderr: string; error?: NodeJS.ErrnoException }

function exited(child: ChildProcess, timeoutMs: number): Promise<Exit> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.on("error", (error: NodeJS.ErrnoException) => { clearTimeout(timer); resolve({ code: null, signal: null, timedOut, stderr, error }); });
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut, stderr }); });
  });
}
