// A load-time setting read again with no call since the last read of it reuses that
// read. Settings live in .rodata, which libbpf freezes before the programs load, so a
// setting's value is the same all through a run (the verifier even knows it); a C
// `const volatile` is read at every use, so `if (targ_tgid && targ_tgid != tgid)` reads
// it twice where one read does. Only with no call in between: a call clobbers R0..R5, and
// keeping the value across one would take one of R6..R9 for what one load gets again.
// In: an IrFunction being cleaned up (cleanup.ts, on its own copy). Out: the same
// function, changed in place: each such load becomes a mov of the earlier one's result.

import { forwardFlow } from "./forward-flow.js";
import type { Block, Inst, IrFunction, VReg } from "./ir.js";
import { writeCounts } from "./uses.js";

/** The setting reads done since the last call on every path here: by symbol, offset and
 *  size, the register holding what was read. */
type Reads = ReadonlyMap<string, VReg>;

export function reuseSettingLoads(fn: IrFunction): void {
  const defs = writeCounts(fn);
  const setting = new Map<VReg, string>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "symref" && i.at?.section === ".rodata" && defs.get(i.dst) === 1) setting.set(i.dst, i.symbol);
    }
  }
  if (setting.size === 0) return;
  const keyOf = (i: Inst): string | undefined => {
    if (i.op !== "load" || !("reg" in i.base) || defs.get(i.dst) !== 1) return undefined;
    const symbol = setting.get(i.base.reg);
    return symbol === undefined ? undefined : `${symbol}+${i.off}:${i.size}`;
  };
  const after = (reads: Reads, i: Inst): Reads => {
    if (i.op === "call") return reads.size === 0 ? reads : new Map();
    const key = keyOf(i);
    if (key === undefined || reads.has(key) || i.op !== "load") return reads;
    return new Map(reads).set(key, i.dst);
  };
  const meet = (a: Reads, b: Reads): Reads => new Map([...a].filter(([k, r]) => b.get(k) === r));
  const same = (a: Reads, b: Reads): boolean => a.size === b.size && [...a].every(([k, r]) => b.get(k) === r);
  const transfer = (reads: Reads, b: Block): Reads => b.insts.reduce(after, reads);
  const entry = forwardFlow<Reads>(fn, new Map(), transfer, meet, same)!;

  fn.blocks.forEach((b, n) => {
    let reads = entry[n] ?? new Map();
    b.insts = b.insts.map((i): Inst => {
      const key = keyOf(i);
      const earlier = key === undefined ? undefined : reads.get(key);
      reads = after(reads, i);
      if (earlier === undefined || i.op !== "load") return i;
      return { op: "mov", dst: i.dst, src: earlier, ...(i.loc ? { loc: i.loc } : {}) };
    });
  });
}
