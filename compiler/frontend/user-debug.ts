// Debug information of user programs for uprobes: where a named variable of the probed
// function is at the probe point, from the binary's DWARF (gcc/clang -g, DWARF 4 or 5).
// In: a binary's path and a probe point (`symbol`, `symbol+offset` or `file.c:line`).
// Out: the function and pc probed, and for each variable name a location (a pt_regs
// slot, or memory at a register plus a displacement) and its C type; undefined when the
// binary has no DWARF (the caller binds by position and warns).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type ts from "typescript";
import {
  DebugFormatError, cfaAt, entryLocations, findFunction, functionNames, lineAddresses, locationAt,
  readDebugInfo, variablesAt, type DebugInfo, type DwarfFunction, type LocExpr,
} from "../debuginfo/dwarf.js";
import { readElf, type ElfFile } from "../debuginfo/elf-read.js";
import type { CType } from "../types/ctype.js";
import { CompileError } from "../diagnostics.js";
import type { FrontendContext } from "./context.js";
import { isStackExhausted } from "./limits.js";

export interface ProbePoint {
  binary: string;
  fn: DwarfFunction;
  /** Offset of the probed instruction from the function's symbol. */
  offset: bigint;
  pc: bigint;
}

/** Where a variable's value is: a pt_regs slot, or memory at (a pt_regs slot's value) + disp. */
export type UserLocation =
  | { kind: "reg"; ptRegs: number }
  | { kind: "mem"; ptRegs: number; disp: bigint }
  /** The compiler knows the value at this point (DW_OP_lit*, const + stack_value). */
  | { kind: "value"; value: bigint };

export interface UserVariable { location: UserLocation; type: CType; cType: string }

export class UserDebug {
  private readonly infos = new Map<string, DebugInfo | undefined>();
  private readonly elfs = new Map<string, ElfFile | undefined>();
  /** Why a binary's DWARF could not be read, when it is there but malformed. */
  private readonly corrupt = new Map<string, string>();

  constructor(private readonly ctx: FrontendContext) {}

  /** The binary's ELF file, or undefined when it is not one (or cannot be read). */
  elf(binary: string): ElfFile | undefined {
    if (!this.elfs.has(binary)) {
      let elf: ElfFile | undefined;
      try {
        elf = readElf(readFileSync(binary));
      } catch {
        elf = undefined;
      }
      this.elfs.set(binary, elf);
      this.ctx.inputs.add(resolve(binary));
    }
    return this.elfs.get(binary);
  }

  /** The binary's DWARF, or undefined when it has none (or cannot be read). */
  info(binary: string): DebugInfo | undefined {
    if (this.infos.has(binary)) return this.infos.get(binary);
    let info: DebugInfo | undefined;
    try {
      info = readDebugInfo(readFileSync(binary), this.ctx.target);
    } catch (e) {
      if (isStackExhausted(e)) throw e;
      // Unreadable or not ELF (probe-points.ts says so) bind by position; corrupt DWARF is
      // reported where it is needed.
      if (e instanceof DebugFormatError) this.corrupt.set(binary, e.message);
    }
    this.infos.set(binary, info);
    this.ctx.inputs.add(resolve(binary));
    return info;
  }

  /** Resolves `symbol`, `symbol+offset` or `file.c:line` to a function and pc; undefined
   *  (bind by position) for a symbol the DWARF does not describe; a diagnostic for a line
   *  without code, or an offset past the function's end. */
  probePoint(binary: string, spec: string, node: ts.Node): ProbePoint | undefined {
    return this.guard(binary, node, () => this.findProbePoint(binary, spec, node));
  }

  /** The named variable at the probe point: a parameter at entry, any visible variable inside. */
  variable(info: DebugInfo, point: ProbePoint, name: string, node: ts.Node): UserVariable {
    return this.guard(point.binary, node, () => this.findVariable(info, point, name, node));
  }

  /** Debug information is the probed binary's, which may be corrupt: what reading it
   *  throws is a diagnostic at the probe point, not a crash. */
  private guard<T>(binary: string, node: ts.Node, read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof CompileError || isStackExhausted(e)) throw e;
      return this.ctx.fail("fetchSpec", node, `Cannot read the debug information of ${binary} (is it corrupt?): ${(e as Error).message}.`);
    }
  }

  private findProbePoint(binary: string, spec: string, node: ts.Node): ProbePoint | undefined {
    const info = this.info(binary);
    const corrupt = this.corrupt.get(binary);
    if (corrupt !== undefined) throw new Error(corrupt);
    if (!info) return undefined;
    const line = /^(.+\.[A-Za-z0-9]+):(\d+)$/.exec(spec);
    if (line) {
      const pcs = lineAddresses(info, line[1], Number(line[2]));
      if (pcs.length === 0) return this.ctx.fail("fetchSpec", node, `${binary} has no code for ${spec} (no line-table row for that line).`);
      const pc = pcs[0];
      const fn = functionNames(info).map((n) => findFunction(info, n)).find((f) => f && f.ranges.some(([lo, hi]) => pc >= lo && pc < hi));
      if (!fn) return this.ctx.fail("fetchSpec", node, `${spec} is not inside a function ${binary}'s DWARF describes.`);
      return { binary, fn, offset: pc - fn.lowPc, pc };
    }
    const m = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(spec);
    if (!m) return undefined;
    const fn = findFunction(info, m[1]);
    // In the symbol table (probe-points.ts checked) but not the DWARF (code built without
    // -g): bind by position.
    if (!fn) return undefined;
    const offset = m[2] ? BigInt(m[2]) : 0n;
    const pc = fn.lowPc + offset;
    if (!fn.ranges.some(([lo, hi]) => pc >= lo && pc < hi)) return this.ctx.fail("fetchSpec", node, `${spec} is outside ${fn.name}(), which is 0x${(fn.highPc - fn.lowPc).toString(16)} bytes long.`);
    return { binary, fn, offset, pc };
  }

  private findVariable(info: DebugInfo, point: ProbePoint, name: string, node: ts.Node): UserVariable {
    const { fn, pc } = point;
    const atEntry = point.offset === 0n;
    const visible = atEntry ? fn.params : variablesAt(info, fn, pc);
    const index = visible.findIndex((v) => v.name === name);
    if (index < 0) {
      const names = visible.map((v) => `${v.name}: ${v.cType}`).join(", ") || "none";
      return this.ctx.fail("unknownParam", node, `${fn.name}${atEntry ? "()" : ` at +0x${point.offset.toString(16)}`} has no ${atEntry ? "parameter" : "variable"} '${name}'. ${atEntry ? "Its parameters" : "Visible there"}: ${names}.`);
    }
    const v = visible[index];
    const loc = atEntry ? entryLocations(fn)[index] : locationAt(v, pc);
    // Past the entry, an entry value (what a register held when the function was called)
    // is gone from that register: nothing at the probe point holds it.
    if (!loc || (!atEntry && loc.kind === "entry_value")) return this.ctx.fail("optimizedOut", node, name, fn.name, atEntry ? "its entry" : `+0x${point.offset.toString(16)}`);
    return { location: this.place(info, fn, pc, loc, name, node), type: v.type, cType: v.cType };
  }

  private place(info: DebugInfo, fn: DwarfFunction, pc: bigint, loc: LocExpr, name: string, node: ts.Node): UserLocation {
    const slot = (reg: number) => {
      const off = this.ctx.target.dwarfRegs[reg]?.ptRegs;
      return off ?? this.ctx.fail("fetchSpec", node, `'${name}' is in DWARF register ${reg}, which a uprobe's pt_regs does not hold.`);
    };
    switch (loc.kind) {
      case "reg": return { kind: "reg", ptRegs: slot(loc.reg) };
      case "entry_value": return { kind: "reg", ptRegs: slot(loc.reg) }; // at the entry only
      case "value": return { kind: "value", value: loc.value };
      case "breg":
        if (!loc.deref) return { kind: "mem", ptRegs: slot(loc.reg), disp: loc.offset };
        break;
      case "fbreg": {
        const base = fn.frameBase;
        if (base?.kind === "reg") return { kind: "mem", ptRegs: slot(base.reg), disp: loc.offset };
        if (base?.kind === "breg" && !base.deref) return { kind: "mem", ptRegs: slot(base.reg), disp: base.offset + loc.offset };
        if (base?.kind === "cfa") {
          const cfa = cfaAt(info, pc);
          if (cfa) return { kind: "mem", ptRegs: slot(cfa.reg), disp: cfa.offset + loc.offset };
        }
        break;
      }
    }
    return this.ctx.fail("fetchSpec", node, `'${name}' has a location bpftsc cannot fetch yet (${describe(loc)}).`);
  }
}

function describe(loc: LocExpr): string {
  return loc.kind === "unsupported" ? loc.ops : loc.kind;
}
