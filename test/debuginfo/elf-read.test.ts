// The ELF reader against readelf and objdump: section headers, symbols, virtual address →
// file offset; compressed debug sections, relocatable objects (x86-64 and AArch64),
// separate debug files.

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { debugFileCandidates, findFunction, lineAddresses, readDebugInfo, cfaAt, type DwarfVariable } from "../../compiler/debuginfo/dwarf.js";
import { arm64 } from "../../compiler/target/arm64.js";
import { x86_64 } from "../../compiler/target/x86_64.js";
import { ElfFile, SHF_COMPRESSED } from "../../compiler/debuginfo/elf-read.js";
import { typeToString } from "../../compiler/types/ctype.js";
import { build, lineOf, run } from "./dwarf-oracle.js";

interface OSection { name: string; addr: bigint; off: number; size: number; flags: string }

function readelfSections(bin: string): OSection[] {
  const out: OSection[] = [];
  for (const l of run("readelf", ["-S", "-W", bin]).split("\n")) {
    const m = /^\s+\[\s*(\d+)\]\s+(\S*)\s+\S+\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+/.exec(l);
    if (m && m[1] !== "0") out.push({ name: m[2]!, addr: BigInt("0x" + m[3]), off: parseInt(m[4]!, 16), size: parseInt(m[5]!, 16), flags: m[6]! });
  }
  return out;
}

/** .symtab entries: name → [value, size] for names that occur once. */
function readelfSymtab(bin: string): Map<string, [bigint, bigint]> {
  const text = run("readelf", ["-s", "-W", bin]);
  const sec = text.slice(text.indexOf("Symbol table '.symtab'"));
  const seen = new Map<string, [bigint, bigint] | null>();
  for (const l of sec.split("\n")) {
    const m = /^\s+\d+:\s+([0-9a-f]{16})\s+(\d+|0x[0-9a-f]+)\s+\w+\s+\w+\s+\w+\s+\S+\s+(\S+)$/.exec(l);
    if (!m) continue;
    seen.set(m[3]!, seen.has(m[3]!) ? null : [BigInt("0x" + m[1]), BigInt(m[2]!)]);
  }
  return new Map([...seen].filter((e): e is [string, [bigint, bigint]] => e[1] !== null));
}

/** objdump -d -F: function symbol → file offset. */
function objdumpOffsets(bin: string): Map<string, [bigint, number]> {
  const m = new Map<string, [bigint, number]>();
  for (const l of run("objdump", ["-d", "-F", bin]).split("\n")) {
    const x = /^([0-9a-f]+) <([^>]+)> \(File Offset: 0x([0-9a-f]+)\):$/.exec(l);
    if (x) m.set(x[2]!, [BigInt("0x" + x[1]), parseInt(x[3]!, 16)]);
  }
  return m;
}

describe.each([
  { label: "PIE", flags: ["-g", "-O0"] },
  { label: "non-PIE", flags: ["-g", "-O0", "-no-pie"] },
])("$label executable", ({ flags }) => {
  const bin = build("gcc", flags);
  const elf = new ElfFile(readFileSync(bin));

  it("has readelf's section headers, names, addresses, offsets and sizes", () => {
    const o = readelfSections(bin);
    expect(o.length).toBeGreaterThan(25);
    expect(elf.sections.slice(1).map((s) => ({ name: s.name, addr: s.addr, off: s.offset, size: s.size })))
      .toEqual(o.map((s) => ({ name: s.name, addr: s.addr, off: s.off, size: s.size })));
    expect(elf.sectionData(".debug_info")!.length).toBe(o.find((s) => s.name === ".debug_info")!.size);
  });

  it("finds .symtab symbols with readelf's value and size", () => {
    const syms = readelfSymtab(bin);
    expect(syms.size).toBeGreaterThan(20);
    for (const [name, [value, size]] of syms) expect(elf.symbolAddress(name), name).toEqual({ value, size });
    expect(elf.symbolAddress("no_such_symbol")).toBeUndefined();
  });

  it("maps function addresses to objdump's file offsets", () => {
    const offs = objdumpOffsets(bin);
    expect(offs.size).toBeGreaterThan(10);
    for (const [name, [addr, off]] of offs) expect(elf.vaddrToFileOffset(addr), name).toBe(off);
    expect(elf.vaddrToFileOffset(0xdead_0000_0000n)).toBeUndefined();
  });
});

describe("symbol names", () => {
  it("are matched as bytes: a UTF-8 name is found, another one byte apart is not", () => {
    const dir = mkdtempSync(join(tmpdir(), "elf-names-"));
    const src = join(dir, "names.c");
    writeFileSync(src, "int caf\u00e9(void) { return 1; }\nint cafe(void) { return 2; }\nint main(void) { return caf\u00e9() + cafe(); }\n");
    const bin = build("gcc", ["-O0"], src);
    const elf = new ElfFile(readFileSync(bin));
    // nm prints the name's bytes as they are.
    const nm = new Map(run("nm", [bin]).split("\n").map((l) => l.split(" ")).filter((f) => f.length === 3).map(([v, , n]) => [n!, BigInt("0x" + v)]));
    expect(elf.symbolAddress("caf\u00e9")?.value).toBe(nm.get("caf\u00e9"));
    expect(elf.symbolAddress("cafe")?.value).toBe(nm.get("cafe"));
    expect(nm.get("caf\u00e9")).not.toBe(nm.get("cafe"));
    expect(elf.symbolAddress("caf\u00e8")).toBeUndefined();
    expect(elf.symbolsNamed("main").length).toBeGreaterThan(0);
  });
});

describe("compressed debug sections (gcc -gz=zlib)", () => {
  it("inflates them and reads the same functions as the uncompressed build", () => {
    const z = build("gcc", ["-g", "-O0", "-gz=zlib"]);
    const zs = readelfSections(z);
    expect(zs.find((s) => s.name === ".debug_info")!.flags).toContain("C");
    const elf = new ElfFile(readFileSync(z));
    expect(elf.section(".debug_info")!.flags & SHF_COMPRESSED).toBe(SHF_COMPRESSED);
    const zi = readDebugInfo(readFileSync(z), x86_64)!;
    const pi = readDebugInfo(readFileSync(build("gcc", ["-g", "-O0"])), x86_64)!;
    const shape = (v: DwarfVariable) => `${v.name}:${typeToString(v.type)}`;
    for (const f of ["f5", "f8", "walk"]) expect(findFunction(zi, f)!.params.map(shape)).toEqual(findFunction(pi, f)!.params.map(shape));
    expect(lineAddresses(zi, "dwarf-sample.c", lineOf("sink += total;"))).toEqual(lineAddresses(pi, "dwarf-sample.c", lineOf("sink += total;")));
  });
});

describe("relocatable objects (gcc -c): debug-section relocations applied", () => {
  // x86-64's R_X86_64_32/64, AArch64's R_AARCH64_ABS32/ABS64 (the cross gcc's objects).
  it.each([
    { cc: "gcc", target: x86_64, opt: "-O0" }, { cc: "gcc", target: x86_64, opt: "-O2" },
    { cc: "aarch64-linux-gnu-gcc", target: arm64, opt: "-O0" }, { cc: "aarch64-linux-gnu-gcc", target: arm64, opt: "-O2" },
  ])("$cc $opt: the same parameters, types and (function-relative) locations as the linked executable", ({ cc, target, opt }) => {
    const objBytes = readFileSync(build(cc, ["-g", opt, "-c"]));
    expect(new ElfFile(objBytes).machine).toBe(target.elfMachine);
    const obj = readDebugInfo(objBytes, target)!;
    const exe = readDebugInfo(readFileSync(build(cc, ["-g", opt])), target)!;
    for (const name of ["f5", "f8", "walk", "optimized"]) {
      const a = findFunction(obj, name)!;
      const b = findFunction(exe, name)!;
      expect(a.highPc - a.lowPc).toBe(b.highPc - b.lowPc);
      const rel = (fnLow: bigint) => (v: DwarfVariable) => ({
        name: v.name, type: typeToString(v.type), cType: v.cType,
        locs: v.locations.map((l) => ({ lo: l.lo === undefined ? undefined : l.lo - fnLow, hi: l.hi === undefined ? undefined : l.hi - fnLow, kind: l.expr.kind })),
      });
      expect(a.params.map(rel(a.lowPc))).toEqual(b.params.map(rel(b.lowPc)));
    }
  });
});

describe("a separate debug-info file (objcopy --only-keep-debug, --add-gnu-debuglink)", () => {
  it("is found by build ID and debuglink, and read with the stripped binary's CFI", () => {
    const full = build("gcc", ["-g", "-O0"]);
    const dbg = `${full}.sep.debug`;
    const stripped = `${full}.sep.stripped`;
    copyFileSync(full, `${full}.sep`);
    run("objcopy", ["--only-keep-debug", `${full}.sep`, dbg]);
    run("objcopy", ["--strip-debug", `--add-gnu-debuglink=${dbg}`, `${full}.sep`, stripped]);
    const sbytes = readFileSync(stripped);
    expect(readDebugInfo(sbytes, x86_64)).toBeUndefined();
    const elf = new ElfFile(sbytes);
    const id = /Build ID: ([0-9a-f]+)/.exec(run("readelf", ["-n", stripped]))![1]!;
    expect(elf.buildId()).toBe(id);
    const cands = debugFileCandidates(elf, stripped);
    expect(cands[0]).toBe(`/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`);
    expect(cands).toContain(dbg);
    const info = readDebugInfo(sbytes, x86_64, readFileSync(dbg))!;
    const fn = findFunction(info, "walk")!;
    expect(fn.params.map((p) => p.name)).toEqual(["head", "limit"]);
    const pc = lineAddresses(info, "dwarf-sample.c", lineOf("sink += total;"))[0]!;
    expect(cfaAt(info, pc)).toEqual({ reg: 6, offset: 16n });
  });
});
