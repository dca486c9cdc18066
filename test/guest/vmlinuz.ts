// A kernel's BTF from its boot image (vmlinuz), as the kernel itself exposes it in
// /sys/kernel/btf/vmlinux. In: the vmlinuz bytes: an x86 bzImage, or an arm64 Image (plain
// or gzip'd). Out: its .BTF section's bytes.
//
// bzImage: the x86 boot protocol's header says where the compressed kernel is
// (payload_offset and payload_length, after the real-mode setup sectors); the kernel's
// build appends the decompressed size as 4 little-endian bytes, which the result is
// checked against; the result is the vmlinux ELF file, whose .BTF section is the BTF.
//
// arm64 Image: the raw kernel, loaded as it is, with no section headers: the BTF is found
// by its header (magic 0xeb9f, version 1, a 24-byte header whose type section starts the
// data and whose string section follows it), which must occur exactly once.

import { gunzipSync } from "node:zlib";
import { ElfFile } from "../../compiler/debuginfo/elf-read.js";
import { tool } from "./tool.js";

/** Decompressors by the payload's magic bytes: the formats Debian's kernels use, and gzip. */
const DECOMPRESSORS: { magic: number[]; name: string; run: (data: Uint8Array) => Uint8Array }[] = [
  { magic: [0x1f, 0x8b], name: "gzip", run: (d) => gunzipSync(d) },
  { magic: [0x02, 0x21, 0x4c, 0x18], name: "lz4", run: (d) => tool("lz4", ["-dc"], { input: d }) },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: "zstd", run: (d) => tool("zstd", ["-dc"], { input: d }) },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: "xz", run: (d) => tool("xz", ["-dc"], { input: d }) },
];

const GZIP = DECOMPRESSORS[0]!;

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function isBzImage(vmlinuz: Uint8Array): boolean {
  return vmlinuz.length >= 0x250 && Buffer.from(vmlinuz.buffer, vmlinuz.byteOffset + 0x202, 4).toString("latin1") === "HdrS";
}

/** arm64's Image header: "ARM\x64" at offset 0x38. */
function isArm64Image(image: Uint8Array): boolean {
  return image.length >= 64 && Buffer.from(image.buffer, image.byteOffset + 0x38, 4).toString("latin1") === "ARM\x64";
}

/** The vmlinux ELF file inside a bzImage. */
function vmlinuxOf(vmlinuz: Uint8Array): Uint8Array {
  if (!isBzImage(vmlinuz)) throw new Error("not a bzImage: no x86 boot protocol header");
  const dv = new DataView(vmlinuz.buffer, vmlinuz.byteOffset, vmlinuz.byteLength);
  const setupSectors = vmlinuz[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + dv.getUint32(0x248, true);
  const payload = vmlinuz.subarray(start, start + dv.getUint32(0x24c, true));
  const size = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  const d = DECOMPRESSORS.find((x) => startsWith(payload, x.magic));
  if (!d) throw new Error(`bzImage payload in an unsupported format (magic ${Buffer.from(payload.subarray(0, 6)).toString("hex")})`);
  const vmlinux = d.run(payload.subarray(0, payload.length - 4));
  if (vmlinux.length !== size) throw new Error(`${d.name} gave ${vmlinux.length} bytes; the bzImage says vmlinux has ${size}`);
  return vmlinux;
}

/** BTF's header as vmlinux has it: magic, version 1, flags 0, hdr_len 24. */
const BTF_HEADER = Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00]);

/** The one BTF blob in a raw arm64 Image. */
function btfOfImage(image: Uint8Array): Uint8Array {
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const found: Uint8Array[] = [];
  for (let at = bytes.indexOf(BTF_HEADER); at >= 0; at = bytes.indexOf(BTF_HEADER, at + 1)) {
    if (at % 4 !== 0 || at + 24 > bytes.length) continue;
    const [typeOff, typeLen, strOff, strLen] = [8, 12, 16, 20].map((o) => bytes.readUInt32LE(at + o));
    const end = at + 24 + strOff! + strLen!;
    if (typeOff === 0 && strOff === typeLen && typeLen! > 0 && strLen! > 0 && end <= bytes.length) found.push(image.subarray(at, end));
  }
  if (found.length !== 1) throw new Error(`the arm64 Image holds ${found.length} BTF headers, not one (built without CONFIG_DEBUG_INFO_BTF?)`);
  return found[0]!;
}

export function btfOfVmlinuz(vmlinuz: Uint8Array): Uint8Array {
  const image = startsWith(vmlinuz, GZIP.magic) ? GZIP.run(vmlinuz) : vmlinuz;
  if (isArm64Image(image)) return btfOfImage(image);
  const btf = new ElfFile(vmlinuxOf(vmlinuz)).sectionData(".BTF");
  if (!btf) throw new Error("the kernel has no .BTF section (built without CONFIG_DEBUG_INFO_BTF)");
  return btf;
}
