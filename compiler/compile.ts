// The whole pipeline in one place (clean-up and backend per function in backend-job.ts,
// run on this thread or shared with a worker by backend-pool.ts):
//   probe file --checkSource--> typed AST --readModule--> maps, globals, functions, programs
//   --lowerProgram / lowerSubprogram--> IR --cleanupFunction--> IR --compileFunction-->
//   BPF instructions --checkVerifierLimits--> --writeObject--> ELF bytes
// Programs are lowered first; the subprograms they call (and those call) are lowered as
// they are requested; TypeScript's type errors are asked for once all are lowered (the
// checker has then checked most of the file, and the backend of the first functions may
// have run beside it), and when there are any they are all that is reported; then the
// verifier's work on every loop and program is estimated with the work of what they
// call (checkVerifierWork). Each stage hands plain data to the next and changes nothing
// it got.
// In: a file name and its text. Out: the object bytes, a listing and the diagnostics.
// Nothing here touches the file system except reading tracepoint formats, BTF and DWARF;
// the files read are listed in the result (inputs).

import { EARLY_WORKER_TEXT, inlinePool, workerPool, type BackendPool, type BackendResult } from "./backend-pool.js";
import { CPU_VERSIONS, DEFAULT_CPU, isCpuVersion, type CpuVersion } from "./bpf/cpu.js";
import type { MachineCode } from "./backend/output.js";
import { formatListing } from "./bpf/disasm.js";
import { slots } from "./bpf/insn.js";
import { CompileError, distinctDiagnostics, makeDiagnostic, type Diagnostic } from "./diagnostics.js";
import { FrontendContext } from "./frontend/context.js";
import { isStackExhausted, stackExhausted } from "./frontend/limits.js";
import { lowerProgram, lowerSubprogram } from "./frontend/lower-program.js";
import { readModule, type MapInfo } from "./frontend/module.js";
import { checkSource, type CheckedSource } from "./frontend/source.js";
import { StaticStringPool } from "./frontend/static-strings.js";
import { SubprogramQueue } from "./frontend/subprograms.js";
import { checkVerifierWork, type FunctionWork } from "./frontend/verifier-work.js";
import { TypeResolver } from "./frontend/types.js";
import type { IrFunction } from "./ir/ir.js";
import type { ObjectFunction, ObjectGlobal, ObjectMap, ObjectProgram, ObjectSubprogram } from "./object/model.js";
import { TEXT_SECTION, sectionName } from "./object/sections.js";
import { LOG2_HIST_TAG, linearHistTag } from "./object/object-btf.js";
import { writeObject } from "./object/write-elf.js";
import { checkVerifierLimits } from "./verifier-limits.js";
import { targetFor, targetNames, type Target } from "./target/index.js";
import type { CType } from "./types/ctype.js";

export interface CompileOptions {
  /** The probe file's path (used in diagnostics and line info). */
  fileName: string;
  /** The probe file's text. */
  source: string;
  /** Also return the IR of each program as text. */
  dumpIr?: boolean;
  /** Return the listing (default true; the command line asks for it only with -S). */
  listing?: boolean;
  /** Kernel BTF for kernel function prototypes and struct layouts
   *  (default /sys/kernel/btf/vmlinux, read only when the probe needs it). */
  btfPath?: string;
  /** The probed architecture, whose registers and calling convention the fetch prologue
   *  follows: "x86_64" or "arm64" (default: the host's). */
  arch?: string;
  /** The BPF CPU version to emit, as clang's -mcpu: "v3" (default; kernel 5.1+) or "v4"
   *  (kernel 6.6+: sign-extending loads and moves, signed division). */
  cpu?: string;
  /** Run the backend of some functions on a worker thread, beside lowering and type
   *  checking (the command line does); the object is the same either way. */
  parallel?: boolean;
}

export interface CompileResult {
  /** The BPF ELF object; absent when there are errors. */
  object?: Uint8Array;
  /** Every program's instructions with the source lines they came from (-S). */
  listing?: string;
  ir?: string;
  diagnostics: Diagnostic[];
  /** With the object: the files besides the probe file it was compiled from (absolute
   *  paths: imported declarations and the runtime types, kernel BTF, tracepoint formats,
   *  probed binaries), what a cache of it must check. */
  inputs?: string[];
}

/** One function through the backend: where it goes in the object, and its code. */
interface Compiled { name: string; section: string; code: MachineCode; at: { line: number; col: number } }

export function compile(opts: CompileOptions): CompileResult {
  try {
    return compileFile(opts);
  } catch (e) {
    // Nesting too deep for a recursive pass that the limits did not foresee.
    if (isStackExhausted(e)) return { diagnostics: [stackExhausted(opts.fileName, opts.source)] };
    throw e;
  }
}

function compileFile(opts: CompileOptions): CompileResult {
  const target = targetFor(opts.arch);
  if (!target) {
    const why = `Unknown architecture '${opts.arch ?? process.arch}'; bpftsc knows ${targetNames().join(", ")}.`;
    return { diagnostics: [makeDiagnostic("usage", { file: opts.fileName, line: 0, col: 0 }, why)] };
  }
  const cpu = opts.cpu ?? DEFAULT_CPU;
  if (!isCpuVersion(cpu)) {
    const why = `Unknown BPF CPU version '${cpu}'; bpftsc emits ${CPU_VERSIONS.join(" or ")}.`;
    return { diagnostics: [makeDiagnostic("usage", { file: opts.fileName, line: 0, col: 0 }, why)] };
  }
  const checked = checkSource(opts.fileName, opts.source);
  if (checked.diagnostics.length) return { diagnostics: checked.diagnostics };
  const pool = opts.parallel ? workerPool(opts.source.length >= EARLY_WORKER_TEXT) : inlinePool();
  try {
    return compileChecked(opts, target, cpu, checked, pool);
  } catch (e) {
    // The file is lowered before its type errors are known (source.ts): whatever the
    // lowering made of a file with type errors, they are what the compile reports.
    const typeErrors = checked.typeErrors();
    if (typeErrors.length) return { diagnostics: typeErrors };
    throw e;
  } finally {
    pool.abandon();
  }
}

/** Lowers the programs and the subprograms they call, runs each through the backend
 *  pool, checks what the verifier will make of them, and writes the object; or, when
 *  the file has type errors, reports them alone. */
function compileChecked(opts: CompileOptions, target: Target, cpu: CpuVersion, checked: CheckedSource, pool: BackendPool): CompileResult {
  const ctx = new FrontendContext(opts.fileName, checked.sf, checked.checker, checked.runtimeFile, target, opts.btfPath);
  const types = new TypeResolver(ctx);
  const errors: Diagnostic[] = [];
  const mod = readModule(ctx, types, errors);
  const taken = new Set([...mod.maps.values(), ...mod.globals.values(), ...mod.programs].map((x) => x.name));
  const subprograms = new SubprogramQueue(taken);
  const strings = new StaticStringPool(taken);
  // Each function's backend outcome is placed in the object once all are done: programs
  // first, then the subprograms, in the order they were lowered.
  const placed: { name: string; section: string; at: { line: number; col: number }; place: (code: MachineCode) => void }[] = [];
  const backend = (ir: IrFunction, section: string, at: { line: number; col: number }, place: (code: MachineCode) => void): void => {
    pool.submit({ ir, cpu, dumpIr: opts.dumpIr === true });
    placed.push({ name: ir.name, section, at, place });
  };
  const attempt = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      if (e instanceof CompileError) errors.push(e.diagnostic);
      else throw e;
    }
  };

  const programs: ObjectProgram[] = [];
  const works = new Map<string, FunctionWork>();
  const subs: ObjectSubprogram[] = [];
  const compiled: Compiled[] = [];
  const irs: string[] = [];
  for (const prog of mod.programs) {
    attempt(() => {
      const { ir, work } = lowerProgram(ctx, mod, types, subprograms, strings, prog);
      works.set(prog.name, work);
      backend(ir, sectionName(prog.point), ctx.pos(prog.node), (code) => programs.push({ name: prog.name, point: prog.point, ...objectCode(code) }));
    });
  }
  for (let req = subprograms.next(); req; req = subprograms.next()) {
    const { fn, space, symbol } = req;
    attempt(() => {
      const { ir, sig, work } = lowerSubprogram(ctx, mod, types, subprograms, strings, fn, symbol, space);
      works.set(symbol, work);
      // A struct parameter arrives as a pointer to it.
      const params = sig.params.map((p) => ({ name: p.name, type: p.type.kind === "int" || p.type.kind === "ptr" ? p.type : { kind: "ptr", to: p.type, space: "kernel" } as CType }));
      backend(ir, TEXT_SECTION, ctx.pos(fn.decl.name!), (code) => subs.push({ name: symbol, params, ret: sig.ret, ...objectCode(code) }));
    });
  }
  // Asked now, so that the backend of the first functions ran beside the checking.
  const typeErrors = checked.typeErrors();
  if (typeErrors.length) return { diagnostics: typeErrors };
  pool.finish().forEach((outcome, k) => {
    const { name, section, at, place } = placed[k]!;
    if (outcome.ir !== undefined) irs.push(outcome.ir);
    if (outcome.kind === "code") {
      compiled.push({ name, section, code: outcome.code, at });
      place(outcome.code);
    } else if (outcome.kind === "refused") {
      errors.push(backendDiagnostic(ctx, outcome, at));
    }
  });
  const globals: ObjectGlobal[] = [...[...mod.globals.values()].map((g) => ({ name: g.name, section: g.section, type: g.type, init: g.init })), ...strings.globals()];
  errors.push(...checkVerifierWork(ctx, works, mod.programs.map((p) => ({ symbol: p.name, node: p.node }))));
  if (errors.length === 0) {
    errors.push(...checkVerifierLimits({
      functions: new Map(compiled.map((c) => [c.name, c.code])),
      programs: compiled.filter((c) => c.section !== TEXT_SECTION).map((c) => ({ name: c.name, at: { file: ctx.file, ...c.at, sourceLine: ctx.lines[c.at.line - 1] } })),
      license: mod.license,
      dataSections: new Map(globals.map((g) => [g.name, g.section])),
    }));
  }

  const diagnostics = distinctDiagnostics([...errors, ...ctx.warnings]);
  const ir = opts.dumpIr ? irs.join("\n") : undefined;
  if (errors.length) return { diagnostics, ir };
  const object = writeObject({
    sourcePath: opts.fileName,
    sourceText: opts.source,
    license: mod.license,
    programs,
    subprograms: subs,
    maps: [...mod.maps.values()].map(objectMap),
    globals,
  });
  const listing = opts.listing === false ? undefined : objectListing(compiled, ctx.lines);
  return { object, listing, ir, diagnostics, inputs: [...checked.imports, ...ctx.inputs] };
}

/** Every function's listing headed by its section, in the object's order; functions that
 *  share a section (the subprograms in .text) numbered from the section's start, as
 *  llvm-objdump -d numbers them. */
function objectListing(compiled: readonly Compiled[], source: readonly string[]): string {
  const used = new Map<string, number>();
  return compiled.map((c) => {
    const base = used.get(c.section) ?? 0;
    used.set(c.section, base + c.code.insns.reduce((n, insn) => n + slots(insn), 0));
    return `${c.section}:\n${formatListing(c.code.insns, { source, lines: c.code.lines, symbol: c.name, relocs: c.code.relocs, base })}`;
  }).join("\n");
}

function objectCode(code: MachineCode): Omit<ObjectFunction, "name"> {
  return {
    insns: code.insns,
    relocs: code.relocs,
    lines: code.lines,
    coreRelos: code.coreRelos.map((r) => ({ insn: r.insn, root: r.tag.root, field: r.tag.field, kind: r.tag.kind })),
  };
}

function objectMap(m: MapInfo): ObjectMap {
  const base = { name: m.name, type: m.type, maxEntries: m.maxEntries };
  if (m.kind === "ring") return { ...base, record: m.value };
  if (m.kind === "perf") return { ...base, record: m.value, keySize: 4, valueSize: 4 };
  if (m.kind === "stacks" || m.kind === "cgroups") return { ...base, keySize: m.keySize, valueSize: m.valueSize };
  // A histogram is an array its BTF tags, so that user space draws it.
  const tags = m.className === "Log2Hist" ? [LOG2_HIST_TAG] : m.linear ? [linearHistTag(m.linear)] : undefined;
  return { ...base, key: m.key, value: m.value, tags };
}

function backendDiagnostic(ctx: FrontendContext, refused: Extract<BackendResult, { kind: "refused" }>, fallback: { line: number; col: number }): Diagnostic {
  const { line, col } = refused.at ?? fallback;
  const at = { file: ctx.file, line, col, sourceLine: ctx.lines[line - 1] };
  if (refused.frame) return makeDiagnostic("stackTooLarge", at, String(refused.frame.bytes), refused.frame.detail);
  return makeDiagnostic("internal", at, `in the backend: ${refused.message}`);
}
