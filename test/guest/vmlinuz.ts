// A kernel's BTF from its bzImage (vmlinuz), as the kernel itself exposes it in
// /sys/kernel/btf/vmlinux. In: the vmlinuz bytes. Out: the decompressed vmlinux ELF, and
// its .BTF section.
//
// The x86 boot protocol's header says where the compressed kernel is (payload_offset and
// payload_length, after the real-mode setup sectors); the kernel's build appends the
// decompressed size as 4 little-endian bytes, which the result is checked against.

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

export function vmlinuxOf(vmlinuz: Uint8Array): Uint8Array {
  const dv = new DataView(vmlinuz.buffer, vmlinuz.byteOffset, vmlinuz.byteLength);
  if (vmlinuz.length < 0x250 || dv.getUint32(0x202, true) !== 0x53726448 /* "HdrS" */) {
    throw new Error("not a bzImage: no x86 boot protocol header");
  }
  const setupSectors = vmlinuz[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + dv.getUint32(0x248, true);
  const payload = vmlinuz.subarray(start, start + dv.getUint32(0x24c, true));
  const size = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  const d = DECOMPRESSORS.find((x) => x.magic.every((b, i) => payload[i] === b));
  if (!d) throw new Error(`bzImage payload in an unsupported format (magic ${Buffer.from(payload.subarray(0, 6)).toString("hex")})`);
  const vmlinux = d.run(payload.subarray(0, payload.length - 4));
  if (vmlinux.length !== size) throw new Error(`${d.name} gave ${vmlinux.length} bytes; the bzImage says vmlinux has ${size}`);
  return vmlinux;
}

export function btfOfVmlinuz(vmlinuz: Uint8Array): Uint8Array {
  const btf = new ElfFile(vmlinuxOf(vmlinuz)).sectionData(".BTF");
  if (!btf) throw new Error("the kernel has no .BTF section (built without CONFIG_DEBUG_INFO_BTF)");
  return btf;
}
