// Test helpers: write an object to a temp file and run the real tools on it
// (readelf, llvm-objdump, bpftool), and load objects into the kernel through bpffs.
// In: object bytes. Out: tool output (stdout, stderr, exit status) for assertions.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export interface ToolRun { stdout: string; stderr: string; status: number | null }

export function run(cmd: string, args: string[]): ToolRun {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs and fails (with the tool's stderr) unless it exits 0. */
export function runOk(cmd: string, args: string[]): ToolRun {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r;
}

const tmpRoot = mkdtempSync(join(tmpdir(), "bpftsc-object-"));
// Objects are kept for inspection when BPFTSC_KEEP_OBJECTS is set.
afterAll(() => {
  if (!process.env.BPFTSC_KEEP_OBJECTS) rmSync(tmpRoot, { recursive: true, force: true });
});

export function writeTemp(name: string, bytes: Uint8Array): string {
  const path = join(tmpRoot, name);
  writeFileSync(path, bytes);
  return path;
}

function bpffsMounted(): boolean {
  return readFileSync("/proc/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === "/sys/fs/bpf" && l.split(" ")[2] === "bpf");
}

export function ensureBpffs(): void {
  if (bpffsMounted()) return;
  const r = run("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]);
  if (!bpffsMounted()) throw new Error(`cannot mount bpffs: ${r.stderr}`);
}

export interface Loaded {
  /** `bpftool -d prog loadall` output: libbpf debug log and verifier logs. */
  log: string;
  status: number | null;
  /** Pin directory; programs are pinned under it by name. */
  dir: string;
  cleanup(): void;
}

/** `bpftool -d prog loadall obj <fresh bpffs dir>`: libbpf opens, relocates and loads all programs. */
export function loadAll(objPath: string): Loaded {
  ensureBpffs();
  const dir = mkdtempSync("/sys/fs/bpf/bpftsc-obj-");
  const r = run("bpftool", ["-d", "prog", "loadall", objPath, dir]);
  return {
    log: r.stderr + r.stdout, status: r.status, dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const dumps = new Map<string, string[]>();

/** `bpftool btf dump file` of a BTF file, as lines, once per file. */
function btfDump(btfPath: string): string[] {
  let lines = dumps.get(btfPath);
  if (!lines) dumps.set(btfPath, (lines = runOk("bpftool", ["btf", "dump", "file", btfPath]).stdout.split("\n")));
  return lines;
}

/** Byte offsets of a struct's named members in a kernel's BTF (default: the running kernel's). */
export function vmlinuxMemberOffsets(struct: string, btfPath = "/sys/kernel/btf/vmlinux"): Map<string, number> {
  const dump = btfDump(btfPath);
  const start = dump.findIndex((l) => new RegExp(`^\\[\\d+\\] STRUCT '${struct}' size=`).test(l));
  if (start < 0) throw new Error(`struct ${struct} not in ${btfPath}`);
  const out = new Map<string, number>();
  for (let i = start + 1; i < dump.length && dump[i]!.startsWith("\t"); i++) {
    const m = /^\t'(\w+)' type_id=\d+ bits_offset=(\d+)/.exec(dump[i]!);
    if (m) out.set(m[1]!, Number(m[2]) / 8);
  }
  return out;
}

/** The enumerators of the one enum called `name` in a kernel's BTF (default: the running
 *  kernel's), as bpftool prints their values (`bpftool btf dump`, decimal). */
export function vmlinuxEnumValues(name: string, btfPath = "/sys/kernel/btf/vmlinux"): Map<string, bigint> {
  const dump = btfDump(btfPath);
  const starts = dump.flatMap((l, i) => (new RegExp(`^\\[\\d+\\] ENUM(64)? '${name}' `).test(l) ? [i] : []));
  if (starts.length !== 1) throw new Error(`${starts.length} enums named ${name} in ${btfPath}`);
  const out = new Map<string, bigint>();
  for (let i = starts[0]! + 1; i < dump.length && dump[i]!.startsWith("\t"); i++) {
    const m = /^\t'(\w+)' val=(-?\d+)/.exec(dump[i]!);
    if (m) out.set(m[1]!, BigInt(m[2]!));
  }
  return out;
}

/** A section's bytes, found by name with an independent minimal ELF64 reader. */
export function elfSection(obj: Uint8Array, name: string): Uint8Array {
  const dv = new DataView(obj.buffer, obj.byteOffset, obj.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  const hdr = (i: number) => {
    const p = shoff + i * 64;
    return { name: dv.getUint32(p, true), off: Number(dv.getBigUint64(p + 24, true)), size: Number(dv.getBigUint64(p + 32, true)) };
  };
  const strs = hdr(shstrndx);
  const nameAt = (o: number): string => {
    let e = strs.off + o;
    while (obj[e] !== 0) e++;
    return new TextDecoder().decode(obj.subarray(strs.off + o, e));
  };
  for (let i = 1; i < shnum; i++) {
    const h = hdr(i);
    if (nameAt(h.name) === name) return obj.subarray(h.off, h.off + h.size);
  }
  throw new Error(`no section ${name}`);
}

/** u32 words of a little-endian byte range. */
export function words(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.byteLength >> 2 }, (_, i) => dv.getUint32(i * 4, true));
}
