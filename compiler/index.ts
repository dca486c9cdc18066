// The importable compiler API: `import { compile } from "bpftsc/compiler"`.
// In: a probe file's name and text. Out: object bytes, listing and diagnostics, with no
// child process and no file written.

export { compile, type CompileOptions, type CompileResult } from "./compile.js";
export { formatDiagnostic, type Diagnostic } from "./diagnostics.js";
