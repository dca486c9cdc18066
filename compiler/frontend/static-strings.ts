// Strings the programs hand to helpers by address (printk's format): each distinct string
// once, in .rodata, as a `static const char[]` (what libbpf's bpf_printk declares), instead
// of being built on the stack at every call. libbpf maps .rodata read-only and frozen, so
// a helper reads it where it is; being static, it is no setting user space sees.
// In: the strings lowering asks for. Out: a symbol per distinct string, unique among the
// object's names, and the static .rodata globals that hold them.

import type { ObjectGlobal } from "../object/model.js";
import { U8 } from "../types/ctype.js";
import type { StaticStrings } from "./values.js";

export class StaticStringPool implements StaticStrings {
  private readonly byText = new Map<string, ObjectGlobal>();

  /** `taken`: the object's other symbol names, shared with whatever else names symbols. */
  constructor(private readonly taken: Set<string>) {}

  symbolFor(text: string): { symbol: string; size: number } {
    const known = this.byText.get(text);
    if (known) return { symbol: known.name, size: known.init.length };
    let name = "____fmt";
    for (let n = 2; this.taken.has(name); n++) name = `____fmt${n}`;
    this.taken.add(name);
    const init = new TextEncoder().encode(text + "\0");
    // A Chars<N>'s type (frontend/types.ts), which the BTF writer describes as char[N].
    const global: ObjectGlobal = { name, section: ".rodata", type: { kind: "array", elem: U8, length: init.length, isString: true }, init, static: true };
    this.byText.set(text, global);
    return { symbol: name, size: init.length };
  }

  /** The strings asked for, in the order first asked. */
  globals(): ObjectGlobal[] {
    return [...this.byText.values()];
  }
}
