// readStrInto(): strings packed one after another into a map value's byte buffer at the
// offsets the previous reads returned (as execsnoop's args), the helper's results read
// back: lengths with the NUL, a string cut at maxLen, -E2BIG past the buffer's room
// (nothing written), -EFAULT for an unreadable address.

import { describe, expect, it } from "vitest";
import { buildTarget, decodeSigned, decodeUnsigned, getMap, hexToBytes, lookup, runLoader } from "../harness/harness.js";
import { compileProbe } from "./compile-helper.js";

const TARGET_C = `#define PROBED __attribute__((noinline, noipa, used))
volatile unsigned long sink;
PROBED void names(const char *a, const char *b, const char *c) { sink += a[0] + b[0] + c[0]; }
int main(void)
{
	/* On the stack: a probe read cannot fault in a page of .rodata not touched yet. */
	char a[] = "hello", b[] = "a-longer-string-cut", c[] = "xyz";
	names(a, b, c);
	return 0;
}
`;

function source(target: string): string {
  return `import { uprobe, ArrayMap, readStrInto, type i64, type u8, type u64, type Ptr, type Chars, type FixedArray } from "bpftsc";

interface Packed { buf: FixedArray<u8, 40>; size: u64; rets: FixedArray<i64, 5> }
const packed = new ArrayMap<Packed>(1);

export const onNames = uprobe(${JSON.stringify(target)}, "names", (a: Ptr<u8>, b: Ptr<u8>, c: Ptr<u8>) => {
  const p = packed.get(0);
  if (p === undefined) return;
  let off: u64 = 0;
  for (let k = 0; k < 4; k++) {
    const r = readStrInto(p.buf, off, k === 0 ? a : k === 1 ? b : c, 16);
    p.rets[k] = r;
    if (r > 0) off += r;
  }
  p.size = off;
  const local: Chars<8> = "";
  const zero: u64 = 0;
  p.rets[4] = readStrInto(local, 0, zero, 8);
});
`;
}

describe("readStrInto: strings packed at run-time offsets", () => {
  const target = buildTarget("read-str-into", TARGET_C);
  const { object } = compileProbe("read-str-into", source(target));
  const r = runLoader(object, { attach: true, command: [target] });
  const hex = () => lookup(getMap(r, "packed"), 0)!;

  it("returns the helper's results: lengths with the NUL, -E2BIG past the room, -EFAULT", () => {
    // "hello" 6, cut at 16 (15 bytes and the NUL), "xyz" 4 at 22; at 26 > 40 - 16 no room.
    expect([0, 1, 2, 3, 4].map((k) => decodeSigned(hex(), 48 + k * 8, 8))).toEqual([6n, 16n, 4n, -7n, -14n]);
    expect(decodeUnsigned(hex(), 40, 8)).toBe(26n);
  });

  it("packs the strings one after another, NUL-separated, the rest untouched", () => {
    const bytes = hexToBytes(hex()).subarray(0, 40);
    expect(Buffer.from(bytes.subarray(0, 26)).toString("latin1")).toBe("hello\0a-longer-string\0xyz\0");
    expect([...bytes.subarray(26)]).toEqual(Array(14).fill(0));
  });
});
