// Immediates: which 64-bit values an instruction's signed 32-bit immediate holds.
// In: a value. Out: yes or no.

const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;

/** Whether v, as a 64-bit two's complement value, is a sign-extended s32. */
export function fitsS32(v: bigint): boolean {
  const s = BigInt.asIntN(64, v);
  return s >= S32_MIN && s <= S32_MAX;
}
