// Kernel symbols from /proc/kallsyms text (hand-made, and this kernel's own): the code
// symbol at or before an address with its offset in hex, module names left out, data
// symbols and hidden (zero) addresses ignored; the Symbolizer tells kernel addresses
// from user ones, and leaves a user address in no probed binary a number.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KernelSymbols } from "../../loader/kallsyms.js";
import { Symbolizer, probedBinaries } from "../../loader/index.js";

const TEXT = `ffffffff81000000 T _stext
ffffffff81000100 t helper
ffffffff81000200 D some_data
ffffffff81000300 W weak_fn
ffffffffc0201000 t mod_fn\t[mymod]
0000000000000000 T hidden
`;

describe("kernel symbols", () => {
  it("name the code symbol at or before an address, +0x offset", () => {
    const k = new KernelSymbols(TEXT);
    expect(k.symbolize(0xffffffff81000000n)).toBe("_stext+0x0");
    expect(k.symbolize(0xffffffff810000ffn)).toBe("_stext+0xff");
    expect(k.symbolize(0xffffffff81000250n)).toBe("helper+0x150"); // some_data is not code
    expect(k.symbolize(0xffffffff81000301n)).toBe("weak_fn+0x1");
    expect(k.symbolize(0xffffffffc0201010n)).toBe("mod_fn+0x10");
    expect(k.symbolize(0xffffffff80ffffffn)).toBeUndefined();
  });

  it("all zeroes (kallsyms read without privileges) name nothing", () => {
    expect(new KernelSymbols("0000000000000000 T a\n0000000000000000 t b\n").symbolize(0xffffffff81000000n)).toBeUndefined();
  });

  it("this kernel's: a syscall entry point is where kallsyms says", () => {
    const line = readFileSync("/proc/kallsyms", "utf8").split("\n").find((l) => / T do_syscall_64$/.test(l))!;
    const address = BigInt(`0x${line.split(" ")[0]}`);
    expect(new Symbolizer().frames([[address + 5n]])).toEqual([[{ address: address + 5n, symbol: "do_syscall_64+0x5" }]]);
  });
});

describe("the Symbolizer", () => {
  it("leaves a user address no probed binary holds a number", () => {
    expect(new Symbolizer(["/nonexistent/binary"]).frames([[0x401000n], []])).toEqual([[{ address: 0x401000n }], []]);
  });

  it("finds the binaries in an object's uprobe and uretprobe sections", () => {
    expect(probedBinaries([{ section: "uprobe//usr/bin/bash:readline" }, { section: "tracepoint/syscalls/sys_enter_read" }, { section: "uretprobe//lib/libc.so.6:malloc+0x10" }]))
      .toEqual(["/usr/bin/bash", "/lib/libc.so.6"]);
  });
});
