// The BPF instruction as plain data, and its 8-byte wire encoding.
// In: instructions from the backend. Out: bytes for the ELF writer, and back (decode)
// for the listing printer and tests.
//
// Wire layout (little-endian), one slot = 8 bytes:
//   byte 0     opcode   = class (3 bits) | source (1 bit) | op (4 bits)   [ALU/JMP]
//                       = class (3 bits) | size (2 bits)  | mode (3 bits) [LD/ST]
//   byte 1     dst_reg (low nibble) | src_reg (high nibble)
//   bytes 2-3  off (s16)
//   bytes 4-7  imm (s32)
// ld_imm64 (BPF_LD|BPF_DW|BPF_IMM) takes two slots; the second carries the high 32 bits.

export const CLS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
export const SRC = { K: 0x00, X: 0x08 } as const;
export const SZ = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
/** MEMSX: a sign-extending load (CPU v4). */
export const MODE = { IMM: 0x00, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
export const ALU = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;
export const JMP = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0, MAY_GOTO: 0xe0,
} as const;

/** src_reg of ld_imm64 that makes imm a map file descriptor (patched by libbpf). */
export const PSEUDO_MAP_FD = 1;
/** src_reg of a call to a BPF-to-BPF subprogram. */
export const PSEUDO_CALL = 1;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  /** Signed 32-bit immediate. For ld_imm64 the low half; `imm64hi` holds the high half. */
  imm: number;
  /** Present only on ld_imm64: the second slot's imm. */
  imm64hi?: number;
}

/** Number of 8-byte slots an instruction occupies. */
export function slots(i: Insn): number {
  return i.imm64hi === undefined ? 1 : 2;
}

export function isLdImm64(code: number): boolean {
  return code === (CLS.LD | SZ.DW | MODE.IMM);
}

export function encode(insns: Insn[]): Uint8Array {
  const n = insns.reduce((s, i) => s + slots(i), 0);
  const out = new Uint8Array(n * 8);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const i of insns) {
    dv.setUint8(p, i.code);
    dv.setUint8(p + 1, (i.dst & 0xf) | ((i.src & 0xf) << 4));
    dv.setInt16(p + 2, i.off, true);
    dv.setInt32(p + 4, i.imm | 0, true);
    p += 8;
    if (i.imm64hi !== undefined) {
      dv.setInt32(p + 4, i.imm64hi | 0, true);
      p += 8;
    }
  }
  return out;
}

export function decode(bytes: Uint8Array): Insn[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) {
    const code = dv.getUint8(p);
    const regs = dv.getUint8(p + 1);
    const insn: Insn = { code, dst: regs & 0xf, src: regs >> 4, off: dv.getInt16(p + 2, true), imm: dv.getInt32(p + 4, true) };
    if (isLdImm64(code)) {
      insn.imm64hi = dv.getInt32(p + 12, true);
      p += 8;
    }
    out.push(insn);
  }
  return out;
}

/** Byte offset of each instruction (index) in the encoded stream. */
export function byteOffsets(insns: Insn[]): number[] {
  const offs: number[] = [];
  let p = 0;
  for (const i of insns) {
    offs.push(p);
    p += slots(i) * 8;
  }
  return offs;
}
