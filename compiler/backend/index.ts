// The BPF backend: one IR function in, machine code out. The whole pipeline is the list of
// calls in compileFunction; each pass is a function of its own module.
//   fold.ts     constants into immediates, dead code out          (IR -> IR)
//   dominated-branches.ts branches an earlier compare decides, gone  (IR -> IR)
//   merge-stores.ts constant stores into a slot merged, wider     (IR -> IR)
//   isel.ts     instruction selection                             (IR -> machine IR, virtual regs)
//   regalloc.ts iterated register coalescing, spill.ts spill code, spill-temp-colors.ts
//               its temporaries colored around the rest   (machine IR -> physical regs)
//   slot-liveness.ts when each stack slot is in use                (machine IR -> intervals)
//   frame.ts    stack frame layout, sharing slots not live together  (slots -> R10 offsets)
//   tail-merge.ts, known-constants.ts  identical block tails kept once; constants a
//               register already holds not loaded again                (machine IR, allocated)
//   emit.ts     block placement, expansion, label resolution      (machine IR -> MachineCode)
// check.ts verifies the machine IR's invariants after isel and after allocation.
// Errors the program can cause (stack over 512 bytes, ...) are thrown as BackendError.

import { DEFAULT_CPU, type CpuVersion } from "../bpf/cpu.js";
import type { IrFunction } from "../ir/ir.js";
import { checkMFunction } from "./check.js";
import { decideDominatedBranches } from "./dominated-branches.js";
import { emitMachineCode } from "./emit.js";
import { foldConstants } from "./fold.js";
import { mergeStores } from "./merge-stores.js";
import { layoutFrame } from "./frame.js";
import { selectInstructions } from "./isel.js";
import { reuseConstants } from "./known-constants.js";
import { printMFunction, type MFunction } from "./mir.js";
import type { MachineCode } from "./output.js";
import { allocateRegisters } from "./regalloc.js";
import { slotIntervals } from "./slot-liveness.js";
import { mergeTails } from "./tail-merge.js";

export { BackendError, type BackendErrorCode } from "./errors.js";
export type { MachineCode } from "./output.js";

export interface BackendOptions {
  /** The BPF CPU version whose instructions may be used (default v3). */
  cpu?: CpuVersion;
  /** Called with the machine IR after "isel" and after "regalloc" (for -d style dumps). */
  dump?: (phase: "isel" | "regalloc", text: string) => void;
}

export function compileFunction(fn: IrFunction, opts: BackendOptions = {}): MachineCode {
  const dump = (phase: "isel" | "regalloc", mf: MFunction): void => opts.dump?.(phase, printMFunction(mf));
  const mf = selectInstructions(mergeStores(decideDominatedBranches(foldConstants(fn))), opts.cpu ?? DEFAULT_CPU);
  dump("isel", mf);
  checkMFunction(mf, "isel", false);
  const live = slotIntervals(mf);
  allocateRegisters(mf);
  dump("regalloc", mf);
  checkMFunction(mf, "regalloc", true);
  const frame = layoutFrame(mf.slots, live, fn.name, fn.loc);
  mergeTails(mf, frame);
  reuseConstants(mf);
  return emitMachineCode(mf, frame);
}
