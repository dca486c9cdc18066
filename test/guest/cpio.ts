// The newc ("070701") cpio format that the kernel unpacks as an initramfs.
// In: entries (directories, files, character devices). Out: the archive's bytes,
// uncompressed, ending with the TRAILER!!! entry.

export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const TYPE_BITS = { dir: 0o040000, file: 0o100000, chardev: 0o020000 } as const;
const DEFAULT_MODE = { dir: 0o755, file: 0o644, chardev: 0o600 } as const;

export function cpioArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    length += b.length;
    const pad = (4 - (length % 4)) % 4;
    if (pad) { parts.push(Buffer.alloc(pad)); length += pad; }
  };
  const record = (ino: number, mode: number, data: Buffer, name: string, rdev: [number, number] = [0, 0]) => {
    const fields = [ino, mode, 0, 0, mode & TYPE_BITS.dir ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], Buffer.byteLength(name) + 1, 0];
    push(Buffer.from("070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join("") + name + "\0", "latin1"));
    if (data.length) push(data);
  };
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, "");
    const mode = TYPE_BITS[e.kind] | (e.mode ?? DEFAULT_MODE[e.kind]);
    const data = e.kind === "file" ? Buffer.from(e.data) : Buffer.alloc(0);
    record(i + 1, mode, data, name, e.kind === "chardev" ? [e.major, e.minor] : undefined);
  });
  record(0, 0, Buffer.alloc(0), "TRAILER!!!");
  return Buffer.concat(parts);
}
