// The whole pipeline in one place:
//   probe file --checkSource--> typed AST --readModule--> maps, programs
//   --lowerProgram--> IR --compileFunction--> BPF instructions --writeObject--> ELF bytes
// In: a file name and its text. Out: the object bytes, a listing and the diagnostics.
// Nothing here touches the file system except reading tracepoint formats and BTF.

import { BackendError } from "./backend/errors.js";
import { compileFunction } from "./backend/index.js";
import type { MachineCode } from "./backend/output.js";
import { formatListing } from "./bpf/disasm.js";
import { CompileError, makeDiagnostic, type Diagnostic } from "./diagnostics.js";
import { FrontendContext } from "./frontend/context.js";
import { lowerProgram } from "./frontend/lower-program.js";
import { readModule, type ProgramInfo } from "./frontend/module.js";
import { checkSource } from "./frontend/source.js";
import { TypeResolver } from "./frontend/types.js";
import type { IrFunction } from "./ir/ir.js";
import { printFunction } from "./ir/print.js";
import type { ContextKind, ObjectProgram } from "./object/model.js";
import { writeObject } from "./object/write-elf.js";

export interface CompileOptions {
  /** The probe file's path (used in diagnostics and line info). */
  fileName: string;
  /** The probe file's text. */
  source: string;
  /** Also return the IR of each program as text. */
  dumpIr?: boolean;
  /** Kernel BTF for kernel function prototypes and struct layouts
   *  (default /sys/kernel/btf/vmlinux, read only when the probe needs it). */
  btfPath?: string;
}

export interface CompileResult {
  /** The BPF ELF object; absent when there are errors. */
  object?: Uint8Array;
  /** Every program's instructions with the source lines they came from (-S). */
  listing?: string;
  ir?: string;
  diagnostics: Diagnostic[];
}

export function compile(opts: CompileOptions): CompileResult {
  const checked = checkSource(opts.fileName, opts.source);
  if (checked.diagnostics.length) return { diagnostics: checked.diagnostics };
  const ctx = new FrontendContext(opts.fileName, checked.sf, checked.checker, checked.runtimeFile, opts.btfPath);
  const types = new TypeResolver(ctx);
  const errors: Diagnostic[] = [];
  const mod = readModule(ctx, types, errors);

  const compiled: { prog: ProgramInfo; code: MachineCode }[] = [];
  const listings: string[] = [];
  const irs: string[] = [];
  for (const prog of mod.programs) {
    let fn: IrFunction | undefined;
    try {
      fn = lowerProgram(ctx, mod, types, prog);
      if (opts.dumpIr) irs.push(printFunction(fn));
      const code = compileFunction(fn);
      compiled.push({ prog, code });
      listings.push(`${prog.section}:\n${formatListing(code.insns, { source: opts.source, lines: code.lines, symbol: prog.name })}`);
    } catch (e) {
      if (e instanceof CompileError) errors.push(e.diagnostic);
      else if (e instanceof BackendError) errors.push(backendDiagnostic(ctx, prog, fn, e));
      else throw e;
    }
  }
  const diagnostics = [...errors, ...ctx.warnings];
  const ir = opts.dumpIr ? irs.join("\n") : undefined;
  if (errors.length) return { diagnostics, ir };
  ctx.kernel.finishCoreTypes();
  const programs = compiled.map(({ prog, code }) => toObjectProgram(prog, code));
  const object = writeObject({
    sourcePath: opts.fileName,
    sourceText: opts.source,
    license: mod.license,
    programs,
    maps: [...mod.maps.values()].map((m) => ({ name: m.name, type: m.type, key: m.className === "RingBuf" ? undefined : m.key, value: m.value, maxEntries: m.maxEntries })),
  });
  return { object, listing: listings.join("\n"), ir, diagnostics };
}

const CONTEXT: Record<ProgramInfo["kind"], ContextKind> = {
  kprobe: "pt_regs", kretprobe: "pt_regs", uprobe: "pt_regs", uretprobe: "pt_regs",
  tracepoint: "void", fentry: "u64_array", fexit: "u64_array",
};

function toObjectProgram(prog: ProgramInfo, code: MachineCode): ObjectProgram {
  return {
    name: prog.name,
    section: prog.section,
    context: CONTEXT[prog.kind],
    insns: code.insns,
    mapRelocs: code.mapRelocs,
    lines: code.lines,
    coreRelos: code.coreRelos.map((r) => ({ insn: r.insn, type: r.tag.type, accessPath: r.tag.accessPath, kind: r.tag.kind })),
  };
}

function backendDiagnostic(ctx: FrontendContext, prog: ProgramInfo, fn: IrFunction | undefined, e: BackendError): Diagnostic {
  // Too much stack: point at the largest stack object, the likeliest thing to shrink.
  const largest = e.code === "stack" ? fn?.slots.filter((s) => s.loc).sort((a, b) => b.size - a.size)[0]?.loc : undefined;
  const where = largest ?? e.loc;
  const line = where?.line ?? ctx.pos(prog.node).line;
  const col = where?.col ?? ctx.pos(prog.node).col;
  const at = { file: ctx.file, line, col, sourceLine: ctx.lines[line - 1] };
  if (e.code === "stack") return makeDiagnostic("stackTooLarge", at, /(\d+)/.exec(e.message)?.[1] ?? "more than 512");
  return { ...makeDiagnostic("badProgram", at, `internal compiler error in the backend: ${e.message}`) };
}
