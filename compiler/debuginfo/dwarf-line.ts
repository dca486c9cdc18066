// .debug_line: line-program headers (v2–v4 include_directories/file_names, v5 entry
// formats with DW_LNCT_* content) and the line-number state machine.
// In: a DwarfContext and a compile unit (for DW_AT_stmt_list, DW_AT_comp_dir and string
// forms). Out: the unit's file paths and its rows (address, file, line, flags), in
// program order, grouped by sequence; rows are kept in typed arrays (addresses as
// doubles: exact for user-space addresses) because large units have many of them.

import { ByteReader, DebugFormatError } from "./byte-reader.js";
import { readForm, type UnitShape } from "./dwarf-forms.js";
import type { DwarfContext, Unit } from "./dwarf-units.js";

export const ROW_STMT = 1;
export const ROW_PROLOGUE_END = 2;
/** The row that ends a sequence: its address is one past the sequence's last byte. */
export const ROW_END_SEQUENCE = 4;

/** The rows of a line program, column-wise. */
export interface LineRows {
  count: number;
  addr: Float64Array;
  /** Index into LineTable.files. */
  file: Int32Array;
  line: Int32Array;
  /** ROW_* bits. */
  flags: Uint8Array;
}

export interface LineTable {
  version: number;
  /** File paths by the program's file index (v5: from 0; v2–v4: index 0 unused). */
  files: (string | undefined)[];
  /** Reads the rows (parsed on first use). */
  rows(): LineRows;
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

/** The line table of a unit, or undefined if it has no DW_AT_stmt_list. */
export function readLineTable(ctx: DwarfContext, u: Unit): LineTable | undefined {
  const root = ctx.root(u);
  const sec = ctx.sec.line;
  if (root.stmtList === undefined || !sec) return undefined;
  const r = new ByteReader(sec, root.stmtList);
  let len = r.u32();
  let is64 = false;
  if (len === 0xffffffff) {
    is64 = true;
    len = r.u64n();
  }
  const end = r.pos + len;
  const version = r.u16();
  if (version < 2 || version > 5) throw new DebugFormatError(`unsupported line table version ${version}`);
  let addrSize = u.addrSize;
  if (version >= 5) {
    addrSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = r.offset(is64);
  const programStart = r.pos + headerLength;
  const minInst = r.u8();
  const maxOps = version >= 4 ? r.u8() || 1 : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const stdLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(r.u8());
  if (lineRange === 0) throw new DebugFormatError("line table with line_range 0");

  const compDir = root.compDir ?? "";
  const files: (string | undefined)[] = [];
  if (version >= 5) {
    const shape: UnitShape = { version: 5, addrSize, is64, offset: 0, secBase: 0 };
    const readEntries = (): { path?: string; dir?: number }[] => {
      const fmtCount = r.u8();
      const fmt: [number, number][] = [];
      for (let i = 0; i < fmtCount; i++) fmt.push([r.uleb(), r.uleb()]);
      const count = r.uleb();
      const out: { path?: string; dir?: number }[] = [];
      for (let i = 0; i < count; i++) {
        const e: { path?: string; dir?: number } = {};
        for (const [ct, form] of fmt) {
          const v = readForm(r, form, shape, 0n);
          if (ct === DW_LNCT_path) e.path = ctx.attrString(u, { at: 0, form: v.form, val: v.val });
          else if (ct === DW_LNCT_directory_index) e.dir = typeof v.val === "number" ? v.val : Number(v.val as bigint);
        }
        out.push(e);
      }
      return out;
    };
    const dirs = readEntries().map((d) => d.path ?? "");
    const dir0 = dirs[0] ?? compDir;
    for (const f of readEntries()) {
      if (f.path === undefined) {
        files.push(undefined);
        continue;
      }
      const d = f.dir !== undefined ? dirs[f.dir] ?? "" : "";
      files.push(joinPath(f.dir === 0 ? dir0 : joinPath(dir0, d), f.path));
    }
  } else {
    const dirs: string[] = [compDir];
    for (;;) {
      const d = r.cstr();
      if (d === "") break;
      dirs.push(joinPath(compDir, d));
    }
    files.push(undefined); // v2–v4 file numbers start at 1
    for (;;) {
      const name = r.cstr();
      if (name === "") break;
      const dir = r.uleb();
      r.uleb(); // mtime
      r.uleb(); // length
      files.push(joinPath(dirs[dir] ?? compDir, name));
    }
  }

  let rows: LineRows | undefined;
  const params = { version, addrSize, minInst, maxOps, defaultIsStmt, lineBase, lineRange, opcodeBase, stdLengths, programStart, end, compDir };
  return {
    version,
    files,
    rows: () => (rows ??= runProgram(sec, params, files)),
  };
}

interface ProgramParams {
  version: number;
  addrSize: number;
  minInst: number;
  maxOps: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  stdLengths: number[];
  programStart: number;
  end: number;
  compDir: string;
}

class RowBuilder implements LineRows {
  count = 0;
  addr = new Float64Array(256);
  file = new Int32Array(256);
  line = new Int32Array(256);
  flags = new Uint8Array(256);

  push(addr: number, file: number, line: number, flags: number): void {
    if (this.count === this.addr.length) {
      const n = this.count * 2;
      const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.addr = grow(this.addr, new Float64Array(n));
      this.file = grow(this.file, new Int32Array(n));
      this.line = grow(this.line, new Int32Array(n));
      this.flags = grow(this.flags, new Uint8Array(n));
    }
    const i = this.count++;
    this.addr[i] = addr;
    this.file[i] = file;
    this.line[i] = line;
    this.flags[i] = flags;
  }
}

function runProgram(sec: Uint8Array, p: ProgramParams, files: (string | undefined)[]): LineRows {
  const rows = new RowBuilder();
  const r = new ByteReader(sec, p.programStart);
  let addr = 0;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let isStmt = p.defaultIsStmt;
  let prologueEnd = false;
  const reset = (): void => {
    addr = 0;
    opIndex = 0;
    file = 1;
    line = 1;
    isStmt = p.defaultIsStmt;
    prologueEnd = false;
  };
  const emit = (endSequence: boolean): void => {
    rows.push(addr, file, line, (isStmt ? ROW_STMT : 0) | (prologueEnd ? ROW_PROLOGUE_END : 0) | (endSequence ? ROW_END_SEQUENCE : 0));
    prologueEnd = false;
  };
  const advance = (opAdvance: number): void => {
    if (p.maxOps === 1) {
      addr += p.minInst * opAdvance;
    } else {
      const total = opIndex + opAdvance;
      addr += p.minInst * Math.floor(total / p.maxOps);
      opIndex = total % p.maxOps;
    }
  };
  while (r.pos < p.end) {
    const op = r.u8();
    if (op >= p.opcodeBase) {
      const adj = op - p.opcodeBase;
      advance(Math.floor(adj / p.lineRange));
      line += p.lineBase + (adj % p.lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const next = r.pos + len;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) {
          addr = Number(r.uSized(len - 1));
          opIndex = 0;
        } else if (sub === 3) {
          const name = r.cstr();
          r.uleb();
          r.uleb();
          r.uleb();
          files.push(joinPath(p.compDir, name));
        }
        r.pos = next; // DW_LNE_set_discriminator and unknown extended opcodes
        break;
      }
      case 1: emit(false); break; // copy
      case 2: advance(r.uleb()); break; // advance_pc
      case 3: line += r.sleb(); break; // advance_line
      case 4: file = r.uleb(); break; // set_file
      case 5: r.uleb(); break; // set_column
      case 6: isStmt = !isStmt; break; // negate_stmt
      case 7: break; // set_basic_block
      case 8: advance(Math.floor((255 - p.opcodeBase) / p.lineRange)); break; // const_add_pc
      case 9: addr += r.u16(); opIndex = 0; break; // fixed_advance_pc
      case 10: prologueEnd = true; break; // set_prologue_end
      case 11: break; // set_epilogue_begin
      case 12: r.uleb(); break; // set_isa
      default: for (let i = 0; i < (p.stdLengths[op - 1] ?? 0); i++) r.uleb();
    }
  }
  return rows;
}

function joinPath(dir: string, name: string): string {
  if (name.startsWith("/") || dir === "") return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** True when `path` names `file`: same basename, or (when `file` has a '/') the same trailing components. */
export function fileMatches(path: string, file: string): boolean {
  if (file.includes("/")) {
    const want = file.replace(/^\.\//, "");
    return path === want || path.endsWith("/" + want);
  }
  const slash = path.lastIndexOf("/");
  return (slash < 0 ? path : path.slice(slash + 1)) === file;
}
