// BPF CPU versions, as clang's -mcpu names them: which instructions the backend may emit.
// In: a version name (the --cpu option). Out: whether it is one, and what it allows.
//   v3  (kernel 5.1+)  jmp32 and the 32-bit ALU; the default
//   v4  (kernel 6.6+)  also sign-extending loads (BPF_MEMSX) and moves (movsx), signed
//                      division and remainder (sdiv, smod), byte swaps (bswap), gotol.

export type CpuVersion = "v3" | "v4";

export const CPU_VERSIONS: readonly CpuVersion[] = ["v3", "v4"];

export const DEFAULT_CPU: CpuVersion = "v3";

export function isCpuVersion(name: string): name is CpuVersion {
  return (CPU_VERSIONS as readonly string[]).includes(name);
}
