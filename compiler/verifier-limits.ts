// What the kernel checks of a whole program at load time, checked on the compiled code so
// that such an object is a diagnostic instead of a load failure: the stack of a chain of
// BPF-to-BPF calls (512 bytes in all, 8 frames), the maps a program uses (64, data
// sections counting one each: kernel MAX_USED_MAPS), and GPL-only helpers in a program
// whose license is not GPL-compatible.
// In: every compiled function by symbol, the programs (their symbols and locations), the
// license and each global's data section. Out: diagnostics.

import { worstChains, MAX_CALL_FRAMES, MAX_COMBINED_STACK, type CompiledFrame } from "./backend/call-stack.js";
import type { MachineCode } from "./backend/output.js";
import { CLS, JMP } from "./bpf/insn.js";
import { makeDiagnostic, type Diagnostic } from "./diagnostics.js";
import { GPL_COMPATIBLE_LICENSES, GPL_ONLY_HELPERS, helperName } from "./helpers.js";

export const MAX_USED_MAPS = 64;

type At = { file: string; line: number; col: number; sourceLine?: string };

export interface ProgramsToCheck {
  functions: ReadonlyMap<string, MachineCode>;
  programs: { name: string; at: At }[];
  license: string;
  /** The data section of each global symbol (each section is one map). */
  dataSections: ReadonlyMap<string, string>;
}

export function checkVerifierLimits(p: ProgramsToCheck): Diagnostic[] {
  const frames = new Map<string, CompiledFrame>([...p.functions].map(([name, code]) => [name, {
    stackSize: code.stackSize, callees: code.relocs.filter((r) => r.kind === "call").map((r) => r.symbol),
  }]));
  const out: Diagnostic[] = [];
  for (const prog of p.programs) {
    const { byStack, byFrames } = worstChains(frames, prog.name);
    if (byFrames.frames.length > MAX_CALL_FRAMES) out.push(makeDiagnostic("callsTooDeep", prog.at, String(byFrames.frames.length), byFrames.frames.join(" -> ")));
    else if (byStack.stack > MAX_COMBINED_STACK) out.push(makeDiagnostic("stackTooLarge", prog.at, String(byStack.stack), ` across the calls ${byStack.frames.join(" -> ")} (each frame rounded up to 32 bytes)`));
    const code = reachable(frames, prog.name).map((f) => p.functions.get(f)!);
    const maps = new Set(code.flatMap((c) => c.relocs.flatMap((r) => r.kind === "map" ? [r.symbol] : r.kind === "data" ? [p.dataSections.get(r.symbol)!] : [])));
    if (maps.size > MAX_USED_MAPS) out.push(makeDiagnostic("tooManyMaps", prog.at, String(maps.size), String(MAX_USED_MAPS)));
    if (!GPL_COMPATIBLE_LICENSES.has(p.license)) {
      const gpl = new Set(code.flatMap((c) => c.insns.filter((i) => i.code === (CLS.JMP | JMP.CALL) && i.src === 0 && GPL_ONLY_HELPERS.has(i.imm)).map((i) => helperName(i.imm)!)));
      if (gpl.size > 0) out.push(makeDiagnostic("gplOnlyHelpers", prog.at, p.license, [...gpl].join(", ")));
    }
  }
  return out;
}

/** The function and every function it calls, directly or not. */
function reachable(frames: ReadonlyMap<string, CompiledFrame>, root: string): string[] {
  const seen = new Set<string>([root]);
  const work = [root];
  while (work.length > 0) for (const c of frames.get(work.pop()!)!.callees) if (!seen.has(c)) { seen.add(c); work.push(c); }
  return [...seen];
}
