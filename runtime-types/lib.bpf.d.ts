// The smallest standard library the TypeScript checker needs, used by bpftsc's own
// type-check of a probe file (noLib) so that a compile does not parse lib.es*.d.ts.
// Probe code has no access to JavaScript's runtime; editors use their normal lib.
interface Array<T> { length: number; [n: number]: T }
interface ReadonlyArray<T> { readonly length: number; readonly [n: number]: T }
interface Boolean {}
interface Function {}
interface CallableFunction extends Function {}
interface NewableFunction extends Function {}
interface IArguments {}
interface Number {}
interface Object {}
interface RegExp {}
interface String { readonly length: number; readonly [index: number]: string }
interface Symbol {}
interface SymbolConstructor { readonly iterator: unique symbol }
declare var Symbol: SymbolConstructor;
interface TemplateStringsArray extends ReadonlyArray<string> {}
type Readonly<T> = { readonly [P in keyof T]: T[P] };
type Partial<T> = { [P in keyof T]?: T[P] };
type Record<K extends keyof any, T> = { [P in K]: T };
type NonNullable<T> = T & {};
// So that generators and iteration are refused by bpftsc at their location, not by a
// global "Cannot find global type" error.
interface IteratorResult<T> { done?: boolean; value: T }
interface Iterator<T> { next(): IteratorResult<T> }
interface Iterable<T> { readonly __iterable?: T }
interface IterableIterator<T> extends Iterator<T> { readonly __iterableIterator?: T }
interface Generator<T = unknown, TReturn = unknown, TNext = unknown> extends Iterator<T> { readonly __generator?: [TReturn, TNext] }
interface AsyncIterableIterator<T> { readonly __asyncIterableIterator?: T }
interface AsyncGenerator<T = unknown, TReturn = unknown, TNext = unknown> { readonly __asyncGenerator?: [T, TReturn, TNext] }
// So that an async handler is refused by bpftsc at its location, not by a global error.
interface Promise<T> { readonly __promise?: T }
interface PromiseLike<T> { readonly __promiseLike?: T }
