// The exact calls that the uprobe targets' main() makes (test/harness/targets/*.c).
// End-to-end tests compare what a probe fetched against these values.
// `value` is the C value the callee sees (signed types as negative numbers).

export interface TargetArg {
  /** The C parameter name (DWARF name a probe parameter can refer to). */
  name: string;
  ctype: string;
  /** Size in bytes and signedness of the C type. */
  size: 1 | 2 | 4 | 8;
  signed: boolean;
  value: bigint;
}

const c = (name: string, value: bigint): TargetArg => ({ name, ctype: "char", size: 1, signed: true, value });
const s = (name: string, value: bigint): TargetArg => ({ name, ctype: "short", size: 2, signed: true, value });
const i = (name: string, value: bigint): TargetArg => ({ name, ctype: "int", size: 4, signed: true, value });
const l = (name: string, value: bigint): TargetArg => ({ name, ctype: "long", size: 8, signed: true, value });
const uc = (name: string, value: bigint): TargetArg => ({ name, ctype: "unsigned char", size: 1, signed: false, value });
const us = (name: string, value: bigint): TargetArg => ({ name, ctype: "unsigned short", size: 2, signed: false, value });
const ui = (name: string, value: bigint): TargetArg => ({ name, ctype: "unsigned int", size: 4, signed: false, value });
const ul = (name: string, value: bigint): TargetArg => ({ name, ctype: "unsigned long", size: 8, signed: false, value });

/** targets/args.c: each function below is called exactly once, in this order. */
export const ARGS_CALLS: Record<string, TargetArg[]> = {
  args1: [i("a", -7n)],
  args2: [c("a", -5n), s("b", -300n)],
  args3: [uc("a", 250n), us("b", 65000n), ui("c", 4000000000n)],
  args4: [l("a", -1234567890123n), ul("b", 18000000000000000000n), i("c", -2147483648n), c("d", 65n)],
  args5: [c("a", 1n), s("b", -2n), i("c", 3n), l("d", -4n), uc("e", 255n)],
  args6: [l("a", -100000000000n), i("b", 2147483647n), s("c", 32767n), c("d", -128n), ui("e", 4294967295n), ul("f", 0x8000000000000000n)],
  // 7th argument on the stack (sp+8 at entry).
  args7: [i("a", 1n), i("b", -2n), i("c", 3n), i("d", -4n), i("e", 5n), i("f", -6n), i("g", 7n)],
  // 7th and 8th arguments on the stack (sp+8, sp+16 at entry).
  args8: [c("a", -1n), s("b", -2n), i("c", -3n), l("d", -4n), uc("e", 200n), us("f", 60000n), ui("g", 3000000000n), ul("h", 0xfedcba9876543210n)],
  // Called from assembly with garbage in the upper bits of %rdi.
  dirty_char: [c("c", -5n)], //      %rdi = 0x123456789abcdefb
  dirty_ushort: [us("s", 4660n)], // %rdi = 0xffffffffffff1234
  dirty_int: [i("i", -2147483648n)], // %rdi = 0x7777777780000000
};

/** targets/args.c: the raw %rdi values of the dirty_* calls. */
export const ARGS_DIRTY_RDI: Record<string, bigint> = {
  dirty_char: 0x123456789abcdefbn,
  dirty_ushort: 0xffffffffffff1234n,
  dirty_int: 0x7777777780000000n,
};

/** targets/args.c: `int tick(int i)` is called with i = 0..9 in order, after the calls above. */
export const ARGS_TICKS = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n];

/** targets/args.c: then opens this file read-only (an openat() for tracepoint tests). */
export const ARGS_OPENED_FILE = "/proc/self/stat";

/** targets/args.c: then calls syscall(SYS_getpid) exactly this many times, and exits 0. */
export const ARGS_GETPID_CALLS = 3;

/** targets/structs.c: `long sum_list(struct node *head)` is called once; the list's values. */
export const STRUCTS_LIST = [11n, -22n, 33n, 44n];
/** struct node { long value; struct node *next; }: offsets. */
export const STRUCT_NODE = { value: { offset: 0, type: "i64" }, next: { offset: 8, type: "u64" } } as const;

/** targets/structs.c: `long take_rec(const struct rec *r)` is called once with these fields. */
export const STRUCT_REC = {
  c: { offset: 0, type: "i8" },
  s: { offset: 2, type: "i16" },
  i: { offset: 4, type: "i32" },
  l: { offset: 8, type: "i64" },
  uc: { offset: 16, type: "u8" },
  us: { offset: 18, type: "u16" },
  ui: { offset: 20, type: "u32" },
  ul: { offset: 24, type: "u64" },
} as const;
export const STRUCT_REC_SIZE = 32;
export const STRUCTS_REC_VALUES = {
  c: -3n,
  s: -1000n,
  i: -100000n,
  l: -10000000000n,
  uc: 250n,
  us: 65535n,
  ui: 4294967295n,
  ul: 0xfedcba9876543210n,
};

/**
 * targets/edge.c: calls in this order; the first argument `seq` numbers the calls of each
 * function. Signatures:
 *   void div_case(int seq, long a, long b)
 *   void udiv_case(int seq, unsigned long a, unsigned long b)
 *   void shift_case(int seq, unsigned long v, int n)
 *   void narrow_case(int seq, unsigned long a, unsigned int b, unsigned short c, unsigned char d)
 */
export const EDGE_DIV: Array<{ a: bigint; b: bigint }> = [
  { a: -7n, b: 2n },
  { a: 7n, b: -2n },
  { a: -7n, b: -2n },
  { a: -9223372036854775808n, b: -1n },
  { a: 9223372036854775807n, b: 1n },
  { a: 100n, b: 7n },
];
export const EDGE_UDIV: Array<{ a: bigint; b: bigint }> = [
  { a: 0xffffffffffffffffn, b: 2n },
  { a: 0x8000000000000000n, b: 3n },
  { a: 18000000000000000000n, b: 1000000007n },
];
export const EDGE_SHIFT: Array<{ v: bigint; n: bigint }> = [
  { v: 1n, n: 63n },
  { v: 0x8000000000000000n, n: 1n },
  { v: 0xff00000000000000n, n: 56n },
  { v: 0x0123456789abcdefn, n: 4n },
];
export const EDGE_NARROW: Array<{ a: bigint; b: bigint; c: bigint; d: bigint }> = [
  { a: 0xffffffffffffffffn, b: 0xffffffffn, c: 0xffffn, d: 0xffn },
  { a: 0n, b: 0n, c: 0n, d: 0n },
];

/** targets/unions.c: `take_val(const union val *v)` is called once with v.as_u64 this. */
export const UNIONS_VAL = 0x0807060504030201n;
/** targets/unions.c: `take_flags(const struct flags *f)` is called once with these fields
 *  (x and y are f.u's members). */
export const UNIONS_FLAGS = {
  a: 5n, b: -11n, c: 1n, d: 65000n, e: 0xabcdef1234n, x: 0xdeadbeefn, y: 0xbeefn,
  one: 1n, full: 0xfedcba98n, neg: -64n, big: -(1n << 62n),
};
/** targets/unions.c: the struct flags main() prints as `edge`: every field at an edge of
 *  its range (u.y set). */
export const UNIONS_EDGE = {
  a: 7n, b: -16n, c: 1n, d: 0xffffn, e: 0xffffffffffn, y: 0xbeefn,
  one: 1n, full: 0xffffffffn, neg: -64n, big: (1n << 62n) - 1n,
};

/** targets/events.c run with `count` steps: step(i, scaled) for i = 0..count-1. */
export function eventsSteps(count: number): { i: number; scaled: bigint }[] {
  return Array.from({ length: count }, (_, i) => ({ i, scaled: BigInt(1000 * i + 7) }));
}
