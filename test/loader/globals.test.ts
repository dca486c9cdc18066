// Load-time settings and globals of a clang-built libbpf C object (fixtures/globals.bpf.c):
// `const volatile` settings in .rodata set by name before load, globals in .data and .bss
// read by name after the programs changed them, and written back while attached. The
// object is typed by a hand-written shape, as a C object's user would type it.

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Chars, FixedArray, i32, Program, u32, u64 } from "bpftsc";
import { BpfError, open } from "../../loader/index.js";
import { buildBpfC, kernelAvailable } from "../harness/harness.js";
import { buildWorkload, calls, runWorkload } from "./workload.js";

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures");

/** globals.bpf.c's program and variables, as a probe file would declare them. */
interface Shape {
  count: Program;
  min_id: u32;
  label: Chars<8>;
  hits: u64;
  total: u64;
  seen: { calls: u32; last_delta: i32 };
  unused?: FixedArray<u32, 2>;
}

async function openGlobals() {
  kernelAvailable();
  return open<Shape>(buildBpfC("loader-globals", fs.readFileSync(path.join(FIXTURES, "globals.bpf.c"), "utf8")));
}

describe("settings and globals by name", () => {
  it("lists each variable with its section", async () => {
    using obj = await openGlobals();
    expect(obj.globals.list().sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "hits", section: ".bss" },
      { name: "label", section: ".rodata" },
      { name: "min_id", section: ".rodata" },
      { name: "seen", section: ".data" },
      { name: "total", section: ".data" },
    ]);
  });

  it("before load: the initial values; settings changed by name reach the programs", async () => {
    const target = buildWorkload();
    using obj = await openGlobals();
    expect(obj.globals.get("min_id")).toBe(0);
    expect(obj.globals.get("label")).toBe("none");
    expect(obj.globals.get("total")).toBe(1000n);
    expect(obj.globals.get("hits")).toBe(0n);
    expect(obj.globals.get("seen")).toEqual({ calls: 0, last_delta: 5 });
    obj.globals.set("min_id", 3);
    obj.globals.set("label", "x");
    obj.globals.set("total", 5);
    expect(obj.globals.get("min_id")).toBe(3);
    expect(obj.globals.get("label")).toBe("x");

    obj.load().attach("count", { binary: target });
    runWorkload(target, 20);
    const counted = calls(20).filter((c) => c.id >= 3);
    expect(obj.globals.get("hits")).toBe(BigInt(counted.length));
    expect(obj.globals.get("total")).toBe(5n + counted.reduce((a, c) => a + c.bytes, 0n));
    expect(obj.globals.get("seen")).toEqual({ calls: counted.length, last_delta: Number(counted.at(-1)!.delta) + "x".charCodeAt(0) });
    expect(obj.globals.get("min_id")).toBe(3);

    // Globals are written in the map's memory while attached; settings are frozen.
    obj.globals.set("hits", 0);
    obj.globals.set("seen", { calls: 100, last_delta: 0 });
    runWorkload(target, 5);
    const again = calls(5).filter((c) => c.id >= 3);
    expect(obj.globals.get("hits")).toBe(BigInt(again.length));
    expect(obj.globals.get("seen")).toEqual({ calls: 100 + again.length, last_delta: Number(again.at(-1)!.delta) + "x".charCodeAt(0) });
    expect(() => obj.globals.set("min_id", 1)).toThrow("'min_id' is a load-time setting (.rodata): set it before load()");
    obj.close();
    expect(() => obj.globals.get("hits")).toThrow(/^loader-globals-[0-9a-f]+ is closed$/);
  });

  it("names and values are checked", async () => {
    using obj = await openGlobals();
    expect(() => obj.globals.get("unused")).toThrow(BpfError);
    expect(() => obj.globals.get("unused")).toThrow("the object has no setting or global 'unused' (it has: min_id, label, ");
    expect(() => obj.globals.set("label", "too long!")).toThrow('label: "too long!" is 9 bytes, longer than char[8]');
    expect(() => obj.globals.set("min_id", 2 ** 32)).toThrow("min_id: 4294967296 is out of range for __u32");
    expect(obj.globals.get("min_id")).toBe(0);
  });
});
