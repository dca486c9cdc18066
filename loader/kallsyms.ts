// Kernel addresses to symbols, from /proc/kallsyms (as root: other users see zeroes).
// In: the file's text. Out: a KernelSymbols whose symbolize(address) names the text
// symbol at or before it as `name+0xoffset` (a module's symbols without their
// `[module]`), or undefined below the first one or when the addresses are hidden.

import { readFileSync } from "node:fs";

/** Symbol types of code: text (t, T) and weak (w, W). */
const CODE = new Set(["t", "T", "w", "W"]);

export class KernelSymbols {
  private readonly addresses: BigUint64Array;
  private readonly names: string[];

  constructor(text: string) {
    const found: { address: bigint; name: string }[] = [];
    // "ffffffff81000000 T _stext" or "ffffffffc0201000 t name\t[module]".
    for (const line of text.split("\n")) {
      const space = line.indexOf(" ");
      if (space <= 0 || !CODE.has(line[space + 1]!)) continue;
      const address = BigInt(`0x${line.slice(0, space)}`);
      const tab = line.indexOf("\t", space + 3);
      if (address !== 0n) found.push({ address, name: line.slice(space + 3, tab < 0 ? undefined : tab) });
    }
    found.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    this.addresses = BigUint64Array.from(found, (s) => s.address);
    this.names = found.map((s) => s.name);
  }

  /** The running kernel's symbols, as they are now. */
  static read(): KernelSymbols {
    return new KernelSymbols(readFileSync("/proc/kallsyms", "utf8"));
  }

  symbolize(address: bigint): string | undefined {
    const a = this.addresses;
    let lo = 0, hi = a.length; // the first index whose address is above `address`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : `${this.names[lo - 1]}+0x${(address - a[lo - 1]!).toString(16)}`;
  }
}
