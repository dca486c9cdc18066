// The diagnostics catalog and the Diagnostic record every stage reports through.
// In: a code from the catalog, a source position, message arguments. Out: Diagnostic
// values, and their tsc-style text `file(line,col): error BPF<code>: message`.

export type Severity = "error" | "warning";

/** Every diagnostic bpftsc can report, with its code. One place, so codes never collide. */
export const DIAG = {
  // 1xxx: TypeScript itself (syntax and type errors), reported with TypeScript's text.
  typescript: { code: 1000, text: "{0}" },
  // 2xxx: the probe file's shape.
  unsupportedTopLevel: { code: 2001, text: "This statement is not allowed at the top level of a probe file: {0}." },
  badImport: { code: 2002, text: "A probe file imports from \"bpftsc\", and from files beside it only types (import type) and kernel enums." },
  badProgram: { code: 2003, text: "{0}" },
  badMap: { code: 2004, text: "{0}" },
  badLicense: { code: 2005, text: "LICENSE must be a string literal." },
  duplicateName: { code: 2006, text: "'{0}' is already defined." },
  noPrograms: { code: 2007, text: "The probe file exports no program (kprobe, uprobe, tracepoint, ...)." },
  badSymbolName: { code: 2008, text: "'{0}' cannot name a {1}: its ELF symbol and libbpf name must be a C identifier (ASCII letters, digits and _, not starting with a digit)." },
  mapTooBig: { code: 2009, text: "Map {0}: {1}, which the kernel refuses ({2})." },
  // 3xxx: types.
  unsupportedType: { code: 3001, text: "Type '{0}' is not supported in BPF code{1}." },
  floatNotAllowed: { code: 3002, text: "Floating-point numbers are not supported in BPF code." },
  intOutOfRange: { code: 3003, text: "The integer {0} does not fit in 64 bits (a u64, or an i64 when negative)." },
  badParamType: { code: 3004, text: "Parameter '{0}' needs a type annotation (u8..u64, i8..i64, bool or Ptr<T>)." },
  badMapType: { code: 3005, text: "Map {0} type must be an integer or a struct, not '{1}'." },
  globalNeedsType: { code: 3006, text: "{0} '{1}' needs a type annotation: u8..u64, i8..i64, bool, a struct or a FixedArray." },
  nonConstantInit: { code: 3007, text: "The initial value of a {0} must be a constant: an integer constant, an object or array literal of constants, or a string for Chars." },
  bitfieldType: { code: 3008, text: "A bitfield's type must be an integer (u8..u64, i8..i64, bool), not '{0}'." },
  bitfieldWidth: { code: 3009, text: "The width of a {0} bitfield must be an integer literal from 1 to {1}, not '{2}'." },
  bitfieldPlace: { code: 3010, text: "Bits<T, N> is the type of a struct or union member; it cannot be {0}." },
  unionMembers: { code: 3011, text: "Union<T> takes the union's members as an object type (a type literal or an interface), not '{0}'." },
  notKernelEnum: { code: 3012, text: "Enum '{0}' is not a kernel enum: BPF code knows enums from the kernel's BTF, declared `/** @kernel */ declare enum {0} { ... }` as bpftsc types writes them." },
  enumeratorValue: { code: 3013, text: "'{0}' has no value here: the kernel's enum {1} has no {2}, and the declaration gives none (write {2} = <value>)." },
  // 4xxx: statements and expressions outside the subset.
  unsupportedSyntax: { code: 4001, text: "{0} is not supported in BPF code." },
  unboundedLoop: { code: 4002, text: "The compiler cannot prove this loop terminates: {0}." },
  unknownName: { code: 4003, text: "'{0}' is not a value that BPF code can use here." },
  notAssignable: { code: 4004, text: "{0} cannot be assigned." },
  uncheckedMapValue: { code: 4005, text: "A map value must be checked against undefined before use." },
  badCall: { code: 4006, text: "{0}" },
  recursion: { code: 4007, text: "Function '{0}' calls itself; BPF code cannot recurse." },
  badBreak: { code: 4008, text: "'{0}' is only allowed inside a loop{1}." },
  duplicateCase: { code: 4016, text: "Case {0} is already handled at line {1}." },
  badSubprogram: { code: 4010, text: "Function '{0}' cannot be a BPF subprogram: {1}." },
  readOnlySetting: { code: 4011, text: "'{0}' is a load-time setting: BPF code reads it, user space sets it before load." },
  deletedMapValue: { code: 4009, text: "'{0}' may point to the entry that {1}.delete() removed at line {2}: that memory is freed and reused; get() the value again, or read it before the delete." },
  tooDeep: { code: 4013, text: "The code here is nested {0} levels deep, more than bpftsc can compile: split it into functions, shorter expressions or fewer else-ifs." },
  tooLong: { code: 4021, text: "This function has {0} statements, more than TypeScript's checker can follow (its stack ran out on the paths through them): split it into functions." },
  loopTooComplex: { code: 4014, text: "Verifying this loop would take the kernel about {0} instructions ({1} iterations of about {2}{3}), and it stops at 1,000,000: run fewer iterations or do less in each." },
  loopTooManyBranches: { code: 4015, text: "A path through this loop passes about {0} branches the verifier cannot decide ({1} iterations), and it keeps at most 8192 of them pending: run fewer iterations or branch less in the body." },
  unionLiteral: { code: 4012, text: "An object literal of a union gives at most one member; this one gives {0}." },
  recordStillReserved: { code: 4018, text: "The record {0}.reserve() gave at line {1} is still reserved {2}: submit() or discard() it on every path (the verifier refuses a program that can leave a reservation)." },
  recordReleased: { code: 4019, text: "The record {0}.reserve() gave at line {1} was {2} at line {3}; after that it belongs to the ring, and the program cannot {4} it." },
  programTooComplex: { code: 4020, text: "Verifying this program would take the kernel about {0} instructions, and it stops at 1,000,000 ({1}): do less there." },
  // 5xxx: limits the verifier would enforce.
  stackTooLarge: { code: 5001, text: "The program needs {0} bytes of BPF stack{1}; the limit is 512. A large record can be filled in the ring buffer itself (rb.reserve()), a large value in a per-CPU scratch map (PerCpuArrayMap<T>(1), get(0))." },
  tooManyMaps: { code: 5004, text: "The program uses {0} maps (its data sections count one each); the kernel allows {1}." },
  gplOnlyHelpers: { code: 5005, text: "LICENSE \"{0}\" is not GPL-compatible, and the kernel gives {1} only to GPL-compatible programs: make it \"GPL\" or \"Dual BSD/GPL\" (or \"Dual MIT/GPL\")." },
  callsTooDeep: { code: 5003, text: "Calls nest {0} deep here ({1}); BPF allows 8 frames." },
  tooManyHelperArgs: { code: 5002, text: "{0}" },
  printkFormat: { code: 4017, text: "printk(): {0}." },
  // 6xxx: the fetch spec.
  unknownParam: { code: 6001, text: "{0}" },
  fetchSpec: { code: 6002, text: "{0}" },
  narrowedParam: { code: 6003, text: "'{0}' is {1} in the probed code; declared {2}, it keeps the low bytes only." },
  optimizedOut: { code: 6004, text: "'{0}' is optimized out in {1} at {2}: the compiler kept no copy of it there." },
  noDebugInfo: { code: 6005, text: "{0}" },
  unknownProbePoint: { code: 6006, text: "There is no {0} in {1}.{2}" },
  // 9xxx: the command line and files.
  usage: { code: 9001, text: "{0}" },
  fileRead: { code: 9002, text: "Cannot read '{0}': {1}." },
  fileWrite: { code: 9003, text: "Cannot write '{0}': {1}." },
  tooLarge: { code: 9004, text: "The probe file has {0} bytes; bpftsc compiles files of up to {1}." },
  internal: { code: 9999, text: "internal compiler error: {0}. Please report this with the probe file." },
} as const;

export type DiagKind = keyof typeof DIAG;

export interface Diagnostic {
  severity: Severity;
  code: number;
  message: string;
  file: string;
  /** 1-based; 0 when the diagnostic is not about a place in a file. */
  line: number;
  col: number;
  /** The source line the position is on, for the excerpt. */
  sourceLine?: string;
}

export function makeDiagnostic(kind: DiagKind, at: { file: string; line: number; col: number; sourceLine?: string }, ...args: string[]): Diagnostic {
  const d = DIAG[kind];
  const message = d.text.replace(/\{(\d)\}/g, (_, n) => args[Number(n)] ?? "");
  return { severity: "error", code: d.code, message, ...at };
}

/** tsc-style text with a one-line excerpt and a caret under the column. */
/** The diagnostics with repeats left out: code shared by several programs (an inlined
 *  function, a subprogram compiled once per memory space) reports each problem once. */
export function distinctDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.severity}\0${d.code}\0${d.line}\0${d.col}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}(${d.line},${d.col})` : d.file;
  let out = `${where}: ${d.severity} BPF${d.code}: ${d.message}`;
  if (d.sourceLine !== undefined && d.line > 0) {
    const gutter = String(d.line);
    out += `\n\n${gutter} ${d.sourceLine}\n${" ".repeat(gutter.length + d.col)}~\n`;
  }
  return out;
}

/** Thrown inside the frontend to abandon the construct at hand; caught per program. */
export class CompileError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
