// Parses and type-checks a probe file with the TypeScript compiler API.
// In: the file's path and text. Out: the ts.SourceFile, a TypeChecker, the syntax
// errors, and the type errors on request (typeErrors()), converted to bpftsc
// Diagnostics. The checker works out what it is asked as it is asked, so the compile
// lowers the programs first and asks for the type errors after: the backend of the
// first programs then runs beside the checking of the next ones (backend-pool.ts). The
// type errors, when there are any, are all the compile reports.
// "bpftsc" imports resolve to the package's runtime types; the standard library is a
// minimal one (noLib) so a compile does not parse the whole of lib.es*.d.ts.

import ts from "typescript";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { makeDiagnostic, type Diagnostic } from "../diagnostics.js";
import { packageRoot } from "../package-root.js";
import { checkLimits } from "./limits.js";
import { outerReferences } from "./outer-references.js";
import { probeMessage } from "./ts-messages.js";

export interface CheckedSource {
  sf: ts.SourceFile;
  checker: ts.TypeChecker;
  /** The runtime-types declaration file (to recognise bpftsc's own names). */
  runtimeFile: string;
  /** Every other source file the program read: imported declarations, runtime types. */
  imports: string[];
  /** What stops the compile before lowering: a file over bpftsc's size limits
   *  (limits.ts), or syntax errors (with the type errors). */
  diagnostics: Diagnostic[];
  /** TypeScript's type errors in the probe file (checks what is not checked yet). */
  typeErrors(): Diagnostic[];
}

const runtimeDir = join(packageRoot(), "runtime-types");
const RUNTIME_INDEX = join(runtimeDir, "index.d.ts");
const RUNTIME_LIB = join(runtimeDir, "lib.bpf.d.ts");

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noLib: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
  skipLibCheck: true,
  allowImportingTsExtensions: true,
};

/** Source files of the runtime types are the same for every compile: parse them once. */
const libCache = new Map<string, ts.SourceFile>();

export function checkSource(path: string, text: string): CheckedSource {
  const fileName = resolve(path);
  const host: ts.CompilerHost = {
    getSourceFile(name, languageVersion) {
      // Parent pointers are left to the binder (program.getTypeChecker() binds every file,
      // and sets them as it goes): asked of the parser, they cost a walk of the whole tree.
      if (name === fileName) return ts.createSourceFile(name, text, languageVersion, false, ts.ScriptKind.TS);
      if (!existsSync(name)) return undefined;
      if (!name.startsWith(runtimeDir)) return ts.createSourceFile(name, readFileSync(name, "utf8"), languageVersion, false);
      let sf = libCache.get(name);
      if (!sf) {
        sf = ts.createSourceFile(name, readFileSync(name, "utf8"), languageVersion, true);
        libCache.set(name, sf);
      }
      return sf;
    },
    getDefaultLibFileName: () => RUNTIME_LIB,
    writeFile: () => undefined,
    getCurrentDirectory: () => dirname(fileName),
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => f === fileName || existsSync(f),
    readFile: (f) => (f === fileName ? text : existsSync(f) ? readFileSync(f, "utf8") : undefined),
    resolveModuleNameLiterals(literals, containingFile) {
      return literals.map((lit) => {
        if (lit.text === "bpftsc") return { resolvedModule: { resolvedFileName: RUNTIME_INDEX, extension: ts.Extension.Dts, isExternalLibraryImport: false } };
        // Relative imports: type declarations beside the probe (kernel types from `bpftsc types`).
        if (lit.text.startsWith(".")) return ts.resolveModuleName(lit.text, containingFile, OPTIONS, ts.sys);
        return { resolvedModule: undefined };
      });
    },
  };
  const program = ts.createProgram({ rootNames: [fileName, RUNTIME_LIB], options: OPTIONS, host });
  const sf = program.getSourceFile(fileName)!;
  const imports = program.getSourceFiles().map((f) => f.fileName).filter((f) => f !== fileName);
  const checker = program.getTypeChecker();
  const converted = (ds: readonly ts.Diagnostic[]): Diagnostic[] => {
    const lines = ds.length > 0 ? sf.text.split(/\r?\n/) : [];
    return ds
      // Imports of other modules get bpftsc's own diagnostic (BPF2002) instead.
      .filter((d) => d.code !== 2307)
      .map((d) => fromTsDiagnostic(d, path, lines));
  };
  const typeErrors = (): Diagnostic[] => converted(program.getSemanticDiagnostics(sf));
  // The references to imports and module constants, gathered in the limits' walk: the
  // checker takes their declared types, without walking the flow graph for each one
  // (outer-references.ts); not in a file over the limits, which is not checked.
  const outer = outerReferences(sf);
  const limit = checkLimits(path, text, sf, outer.see);
  if (!limit) outer.skipFlow(checker);
  const syntax = limit ? [] : program.getSyntacticDiagnostics(sf);
  // A file that does not parse is not lowered: its type errors come with its syntax errors.
  const diagnostics = limit ? [limit] : syntax.length ? converted([...syntax, ...program.getSemanticDiagnostics(sf)]) : [];
  return { sf, checker, runtimeFile: RUNTIME_INDEX, imports, diagnostics, typeErrors };
}

function fromTsDiagnostic(d: ts.Diagnostic, path: string, lines: string[]): Diagnostic {
  const message = probeMessage(d.code, ts.flattenDiagnosticMessageText(d.messageText, " "));
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    const sourceLine = lines[line];
    return makeDiagnostic("typescript", { file: path, line: line + 1, col: character + 1, sourceLine }, message);
  }
  return makeDiagnostic("typescript", { file: path, line: 0, col: 0 }, message);
}
