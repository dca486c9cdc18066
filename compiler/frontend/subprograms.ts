// The subprograms a compile needs: each of the file's non-inlined functions that some
// program or subprogram calls, once per memory space (user or kernel) its callers' Ptr
// values point into, since that decides which probe-read helper its reads call.
// In: requests from call lowering. Out: a symbol per (function, space), unique among the
// object's names, and the queue of variants still to lower.

import type { FunctionInfo } from "./functions.js";
import type { SubprogramCalls } from "./values.js";

export interface SubprogramRequest { fn: FunctionInfo; space: "user" | "kernel"; symbol: string }

export class SubprogramQueue implements SubprogramCalls {
  private readonly symbols = new Map<FunctionInfo, Map<"user" | "kernel", string>>();
  private readonly pending: SubprogramRequest[] = [];

  /** `taken`: the object's other symbol names (maps, programs, globals). */
  constructor(private readonly taken: Set<string>) {}

  request(fn: FunctionInfo, space: "user" | "kernel"): string {
    let bySpace = this.symbols.get(fn);
    if (!bySpace) this.symbols.set(fn, (bySpace = new Map()));
    const known = bySpace.get(space);
    if (known) return known;
    // The first variant has the function's own name; another space's gets a suffix.
    let symbol = bySpace.size === 0 ? fn.symbol.name : `${fn.symbol.name}__${space}`;
    for (let n = 2; this.taken.has(symbol); n++) symbol = `${fn.symbol.name}__${space}${n}`;
    this.taken.add(symbol);
    bySpace.set(space, symbol);
    this.pending.push({ fn, space, symbol });
    return symbol;
  }

  /** The next requested variant not lowered yet. */
  next(): SubprogramRequest | undefined {
    return this.pending.shift();
  }
}
