// cli/key-hash.ts: 16 hex digits, the same for the same string, different for strings
// a character apart (in any place, one code unit or a pair).

import { expect, it } from "vitest";
import { keyHash } from "../../cli/key-hash.js";

it("names a key by 16 hex digits that change with any character", () => {
  const key = JSON.stringify(["bpftsc compiled object 2", "0.1.0", "/usr/lib/node_modules/bpftsc/dist/bpftsc.cjs", "66784 1764680000000"]);
  expect(keyHash(key)).toMatch(/^[0-9a-f]{16}$/);
  expect(keyHash(key)).toBe(keyHash(`${key}`));
  const variants = new Set([key, ...Array.from({ length: key.length }, (_, i) => key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ 1) + key.slice(i + 1)), `${key}\u{1F600}`, ""]);
  expect(new Set([...variants].map(keyHash)).size).toBe(variants.size);
});
