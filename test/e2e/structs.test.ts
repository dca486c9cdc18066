// Field access through Ptr<T> at a uprobe: a linked list walked with a bounded loop (one
// probe read per pointer hop, a NULL hop reads 0 and fetchFailed-free), and a record whose
// fields of every width are read (the fields of one object in one probe read). The probe's interfaces are C structs with C layout.

import { describe, expect, it } from "vitest";
import { buildTargetFile, decodeSigned, getMap, lookup, runLoader } from "../harness/harness.js";
import { STRUCTS_LIST, STRUCTS_REC_VALUES } from "../harness/targets/expected.js";
import { compileProbe } from "./compile-helper.js";

const REC_FIELDS = Object.keys(STRUCTS_REC_VALUES) as (keyof typeof STRUCTS_REC_VALUES)[];

function source(target: string): string {
  return `import { uprobe, ArrayMap, type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64, type Ptr } from "bpftsc";

interface Node {
  value: i64;
  next: Ptr<Node>;
}

interface Rec {
  c: i8; s: i16; i: i32; l: i64; uc: u8; us: u16; ui: u32; ul: u64;
}

const values = new ArrayMap<i64>(8);
const recOut = new ArrayMap<i64>(8);
const sums = new ArrayMap<i64>(2);

export const walk = uprobe(${JSON.stringify(target)}, "sum_list", (head: Ptr<Node>) => {
  let node = head;
  let sum: i64 = 0;
  for (let i = 0; i < 6; i++) {
    // After the fourth node the pointer is NULL: the read faults and yields 0.
    const v = node.value;
    values.set(i, v);
    sum += v;
    node = node.next;
  }
  sums.set(0, sum);
  sums.set(1, head.next.next.value);
});

export const rec = uprobe(${JSON.stringify(target)}, "take_rec", (r: Ptr<Rec>) => {
${REC_FIELDS.map((f, i) => `  recOut.set(${i}, r.${f});`).join("\n")}
});
`;
}

describe("struct field access through pointers", () => {
  const target = buildTargetFile("structs");
  const { object, listing } = compileProbe("structs", source(target));
  const result = runLoader(object, { attach: true, command: [target] });
  const at = (map: string, i: number) => decodeSigned(lookup(getMap(result, map), i)!);

  it("the target ran", () => expect(result.command?.exit_code).toBe(0));

  it("walks the linked list one hop per read; reads past its end give 0", () => {
    const expected = [...STRUCTS_LIST, 0n, 0n];
    expect([0, 1, 2, 3, 4, 5].map((i) => at("values", i))).toEqual(expected);
    expect(at("sums", 0)).toBe(STRUCTS_LIST.reduce((a, b) => a + b, 0n));
    expect(at("sums", 1)).toBe(STRUCTS_LIST[2]);
  });

  it("reads the fields of one object with one probe read: a node's value and next, the whole record", () => {
    const reads = (program: string) => listing.split(/^\S+:$/m).find((sec) => sec.includes(`<${program}>:`))!.match(/call 112/g)!.length;
    // walk: one read per node in the loop, then head.next.next.value: one per hop.
    expect(reads("walk")).toBe(4);
    expect(reads("rec")).toBe(1);
  });

  it("reads every field of a record at its C offset, extended by its type", () => {
    const got = Object.fromEntries(REC_FIELDS.map((f, i) => [f, at("recOut", i)]));
    const want = Object.fromEntries(REC_FIELDS.map((f) => [f, BigInt.asIntN(64, STRUCTS_REC_VALUES[f])]));
    expect(got).toEqual(want);
  });
});
