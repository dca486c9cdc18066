// A 64-bit hash of a short string, to name cache files by (code-cache.ts, compile-cache.ts)
// without node:crypto, whose loading is 2.5 ms of every start. Two 32-bit multiply-xor
// lanes over the UTF-16 code units, cross-mixed at the end (as cyrb53 does), as 16 hex
// digits. Not for contents, nor against collisions made on purpose: the caches are their
// user's own, and a compile cache entry holds the key it was stored under.
// In: the string. Out: the hash.

export function keyHash(s: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}
