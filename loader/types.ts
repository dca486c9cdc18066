// The TypeScript side of decoding: from the probe file's own declarations (`typeof P` for
// `import type * as P from "./probe.ts"`) to the types the loader's maps, ring buffers and
// globals take and return. Types only, nothing at run time.
// In: a probe module's type. Out: Decoded<T> (what btf-codec.ts returns for a value of
// probe type T), Input<T> (what it accepts), and the names and handle types of its maps,
// programs and globals. An `unknown` probe type (an object opened without one) gives the
// untyped Value everywhere.

import type { CgroupArray, Chars, FixedArray, HashMap, i64, PerCpuHashMap, PerfEventArray, Program, Ptr, RingBuf, StackTraceMap, u64 } from "bpftsc";
import type { Value } from "./btf-codec.js";

/** The brands of u64 and i64 (decoded as bigint; the other integer types are numbers). */
type WideBrand = Exclude<keyof u64 | keyof i64, keyof number>;
/** The brand every Ptr, UserPtr and KernelPtr carries (pointers decode as bigint). */
type PtrBrand = keyof Ptr<unknown>;
/** The brand of PerCpuHashMap and PerCpuArrayMap. */
type PerCpuBrand = Exclude<keyof PerCpuHashMap<unknown, unknown>, keyof HashMap<unknown, unknown>>;
/** The brand of PerfEventArray (a RingBuf has its shape and more). */
type PerfBrand = Exclude<keyof PerfEventArray<unknown>, keyof RingBuf<unknown>>;

type Has<T, Brand> = [Extract<keyof T, Brand>] extends [never] ? false : true;

/** The JavaScript value the loader returns for a probe value of type T. */
export type Decoded<T> =
  unknown extends T ? Value
  : T extends boolean ? boolean
  : T extends Chars<number> ? string
  : Has<T, PtrBrand> extends true ? bigint
  : T extends number ? (Has<T, WideBrand> extends true ? bigint : number)
  : T extends FixedArray<infer E, number> ? Decoded<E>[]
  : { [K in keyof T]: Decoded<T[K]> };

/** The JavaScript value the loader accepts for a probe value of type T (64-bit integers
 *  and pointers as a bigint or a number). */
export type Input<T> =
  unknown extends T ? Value
  : T extends boolean ? boolean
  : T extends Chars<number> ? string
  : Has<T, PtrBrand> extends true ? bigint | number
  : T extends number ? (Has<T, WideBrand> extends true ? bigint | number : number)
  : T extends FixedArray<infer E, number> ? readonly Input<E>[]
  : { readonly [K in keyof T]: Input<T[K]> };

/** What a map declaration in the probe is, for the loader. */
export type MapKind<M> =
  M extends PerfEventArray<infer T> ? { kind: Has<M, PerfBrand> extends true ? "perf" : "ringbuf"; record: T }
  : M extends StackTraceMap ? { kind: "stacks" }
  : M extends CgroupArray ? { kind: "cgroups" }
  : M extends HashMap<infer K, infer V> ? { kind: Has<M, PerCpuBrand> extends true ? "percpu" : "map"; key: K; value: V }
  : never;

type IsMap<M> = [MapKind<M>] extends [never] ? false : true;

/** Names of the probe's exported maps. */
export type MapName<P> = unknown extends P ? string : { [K in keyof P]: IsMap<P[K]> extends true ? K : never }[keyof P] & string;
/** Names of the probe's exported programs. */
export type ProgramName<P> = unknown extends P ? string : { [K in keyof P]: P[K] extends Program ? K : never }[keyof P] & string;
/** Names of the probe's exported settings and globals (not maps, programs or LICENSE). */
export type GlobalName<P> = unknown extends P ? string
  : { [K in keyof P]: K extends "LICENSE" ? never : P[K] extends Program ? never : IsMap<P[K]> extends true ? never : K }[keyof P] & string;

/** The probe type of a global: `unknown` (untyped) for a name the probe does not export. */
export type GlobalType<P, N extends string> = N extends keyof P ? P[N] : unknown;
