// Sequentializes a parallel copy: the moves {dst <- src} all read before any writes, as a
// call's arguments going into R1..R5 must. Emits a move once nothing still pending reads its
// destination; what is left then is cycles, each broken through a scratch register.
// In: moves on physical registers (distinct destinations) and a scratch register that is not
// a destination and whose value is not needed once the cycles are reached (a source that is
// no cycle member has been read by then). Out: an ordered list of plain moves.

import type { Reg } from "./mir.js";

export interface RegMove { dst: Reg; src: Reg }

export function sequentializeMoves(moves: readonly RegMove[], scratch: Reg): RegMove[] {
  const dsts = new Set(moves.map((m) => m.dst));
  if (dsts.size !== moves.length) throw new Error("parallel copy with a repeated destination");
  if (dsts.has(scratch)) throw new Error("scratch register is a destination");
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
    if (pending.some((m) => m.src === scratch)) throw new Error("scratch register still to be read");
    const saved = pending[0]!.dst;
    out.push({ dst: scratch, src: saved });
    for (const m of pending) if (m.src === saved) m.src = scratch;
  }
  return out;
}
