// The printers of bpftsc run on hand-made snapshots: JSON's integer rule (numbers below
// 2^53 in magnitude, decimal strings beyond), text's values (structs by field, quoted
// Chars, arrays, raw bytes), keys and sort order, what an empty map prints, and stack
// traces (a frame per line; in JSON, frames with their symbols).

import { describe, expect, it } from "vitest";
import { LOG2_HIST_TAG } from "../../compiler/object/object-btf.js";
import { drawLog2Hist, jsonPrinter, textPrinter, type MapSnapshot } from "../../loader/index.js";

const hash = (name: string, entries: MapSnapshot["entries"]): MapSnapshot => ({ name, array: false, perCpu: false, tags: [], entries });

describe("printers", () => {
  it("JSON: integers as numbers below 2^53, else as decimal strings; raw bytes as hex", () => {
    const text = jsonPrinter().events("ev", [{ a: 2n ** 53n - 1n, b: 2n ** 53n, c: -(2n ** 53n), d: -5, e: true, f: [1n, 2n], g: new Uint8Array([1, 0xab]) }]);
    expect(text).toBe('{"event":"ev","value":{"a":9007199254740991,"b":"9007199254740992","c":"-9007199254740992","d":-5,"e":true,"f":[1,2],"g":"01ab"}}\n');
    expect(jsonPrinter().end([{ ...hash("m", [{ key: { pid: 1, comm: "sh" }, value: 3n, perCpu: [1n, 2n] }]), perCpu: true }], [{ name: "g", section: ".bss", value: 18446744073709551615n }]))
      .toBe('{"map":"m","entries":[{"key":{"pid":1,"comm":"sh"},"value":[1,2]}]}\n{"global":"g","value":"18446744073709551615"}\n');
  });

  it("text: struct keys and values by field, quoted Chars, sorted by value then key; non-integer values by key", () => {
    const counts = hash("byComm", [
      { key: { pid: 2, comm: 'say "hi"' }, value: 5n },
      { key: { pid: 1, comm: "sh" }, value: 5n },
      { key: { pid: 3, comm: "" }, value: 1n },
    ]);
    const structs = hash("stats", [{ key: 9, value: { calls: 1n, hist: [0, 1] } }, { key: 4, value: { calls: 7n, hist: [2, 3] } }]);
    expect(textPrinter(["ev"]).end([counts, structs, hash("empty", [])], [])).toBe(`
@byComm[{ pid: 3, comm: "" }]: 1
@byComm[{ pid: 1, comm: "sh" }]: 5
@byComm[{ pid: 2, comm: "say \\"hi\\"" }]: 5

@stats[4]: { calls: 7, hist: [2, 3] }
@stats[9]: { calls: 1, hist: [0, 1] }

`);
  });

  it("text: records (compiled per ring from its first) prefixed by their ring buffer only when there are several", () => {
    expect(textPrinter(["a"]).events("a", [{ x: 1 }])).toBe("{ x: 1 }\n");
    const two = textPrinter(["a", "b"]);
    expect(two.events("b", [{ x: 1, s: "é" }, { x: 2, s: "" }])).toBe('b: { x: 1, s: "é" }\nb: { x: 2, s: "" }\n');
    expect(two.events("a", [{}])).toBe("a: {}\n");
    expect(two.events("a", [])).toBe("");
  });

  it("histograms: nothing for all zeros; a count's bar is truncated in single precision as bpftrace's", () => {
    expect(drawLog2Hist(Array(66).fill(0))).toBe("");
    const counts = Array(66).fill(0n);
    counts[3] = 3n;
    counts[42] = 1000000007n;
    const rows = drawLog2Hist(counts).split("\n");
    expect(rows[0]).toBe(`[2, 4)                 3 |${" ".repeat(52)}|`);
    expect(rows.at(-2)).toBe(`[1T, 2T)        1000000007 |${"@".repeat(52)}|`);
    const hist: MapSnapshot = { name: "h", array: true, perCpu: false, tags: [LOG2_HIST_TAG], entries: counts.map((value, key) => ({ key, value })) };
    expect(textPrinter([]).interval(new Date(2026, 0, 1, 7, 5, 9), [hist])).toBe(`07:05:09\n@h: \n${drawLog2Hist(counts)}\n`);
  });

  it("stack traces: `@name[id]:`, then a frame per line, its symbol or its address in hex; JSON: frames with the symbols known", () => {
    const kernel = 0xffffffff81a0b2cfn;
    const stacks: MapSnapshot = {
      name: "stacks", array: false, perCpu: false, stacks: true, tags: [],
      entries: [
        { key: 3, value: [kernel, 0x401166n], frames: [{ address: kernel, symbol: "do_syscall_64+0x20f" }, { address: 0x401166n }] },
        { key: 7, value: [0x401166n], frames: [{ address: 0x401166n, symbol: "step+0x0" }] },
      ],
    };
    expect(textPrinter([]).end([stacks], [])).toBe("\n@stacks[3]:\n    do_syscall_64+0x20f\n    0x401166\n@stacks[7]:\n    step+0x0\n\n");
    expect(jsonPrinter().end([stacks], [])).toBe(`{"map":"stacks","entries":[{"key":3,"value":[{"address":"${kernel}","symbol":"do_syscall_64+0x20f"},{"address":4198758}]},{"key":7,"value":[{"address":4198758,"symbol":"step+0x0"}]}]}\n`);
  });
});
