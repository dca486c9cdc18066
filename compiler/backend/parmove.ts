// Sequentializes a parallel copy: the moves {dst <- src} all read before any writes, as a
// call's arguments going into R1..R5 must. A move is emitted once nothing still pending reads
// its destination; what is left then is cycles, each broken through a scratch register.
// In: moves on physical registers (distinct destinations) and the registers that may serve
// as scratch: free after the copy, so any of them that is not a destination and no longer
// waits to be read will do. For a call, that is R0..R5: nothing in them outlives the call.
// Out: an ordered list of plain moves.

import type { Reg } from "./mir.js";

export interface RegMove { dst: Reg; src: Reg }

export function sequentializeMoves(moves: readonly RegMove[], scratch: readonly Reg[]): RegMove[] {
  const dsts = new Set(moves.map((m) => m.dst));
  if (dsts.size !== moves.length) throw new Error("parallel copy with a repeated destination");
  const pending = moves.filter((m) => m.dst !== m.src).map((m) => ({ ...m }));
  const out: RegMove[] = [];
  while (pending.length > 0) {
    const k = pending.findIndex((m) => !pending.some((o) => o.src === m.dst));
    if (k >= 0) {
      out.push(pending[k]!);
      pending.splice(k, 1);
      continue;
    }
    // Only cycles remain: save one destination's value and read it from the scratch instead.
    // (A source outside the cycles has been read by now, so it may serve as scratch.)
    const tmp = scratch.find((r) => !dsts.has(r) && !pending.some((m) => m.src === r));
    if (tmp === undefined) throw new Error("no scratch register to break a cycle of moves");
    const saved = pending[0]!.dst;
    out.push({ dst: tmp, src: saved });
    for (const m of pending) if (m.src === saved) m.src = tmp;
  }
  return out;
}
