// The kernel's limits on a map's shape (kernel/bpf/hashtab.c, arraymap.c, ringbuf.c), so
// that a map the kernel would refuse at load is a diagnostic at its declaration: keys and
// values of at least a byte, hash keys that fit the 512-byte BPF stack they are built on,
// values that one kmalloc (4 MiB) or one per-CPU unit (32 KiB) can hold, arrays under
// 4 GiB in all, ring buffers of at most 512 MiB that can hold a record.
// In: a map's declaration and its resolved types. Out: nothing, or a diagnostic.

import type ts from "typescript";
import { sizeOf, type CType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";

const MAX_BPF_STACK = 512;
const KMALLOC_MAX_SIZE = 4 << 20;
const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** A ring's data size must be at most UINT_MAX / 4; the largest power of two that is. */
const RINGBUF_MAX = 512 << 20;
const RINGBUF_HEADER = 8;

/** maxEntries undefined for a perf event array's records (sent through per-CPU perf buffers). */
interface MapShape { name: string; className: string; kind?: string; key?: CType; value?: CType; record?: CType; maxEntries?: number; perCpu?: boolean }

export function checkMapSizes(ctx: FrontendContext, node: ts.NewExpression, m: MapShape): void {
  const refuse = (what: string, why: string): never => ctx.fail("mapTooBig", node, m.name, what, why);
  const empty = (t: CType | undefined, what: string) => {
    if (t && sizeOf(t) === 0) refuse(`its ${what} type has no bytes`, "keys, values and records need at least one");
  };
  empty(m.key, "key");
  empty(m.value, "value");
  empty(m.record, "record");
  if (m.record) {
    if (m.maxEntries === undefined) return;
    if (m.maxEntries > RINGBUF_MAX) refuse(`a ${m.maxEntries}-byte ring`, `at most ${RINGBUF_MAX} bytes`);
    if (sizeOf(m.record) + RINGBUF_HEADER > m.maxEntries) refuse(`${sizeOf(m.record)}-byte records in a ${m.maxEntries}-byte ring`, "a record and its 8-byte header must fit the ring");
    return;
  }
  const key = sizeOf(m.key!), value = sizeOf(m.value!);
  const hashed = m.kind !== "array";
  if (hashed && key > MAX_BPF_STACK) refuse(`a ${key}-byte key`, `hash keys are built on the ${MAX_BPF_STACK}-byte BPF stack`);
  if (m.perCpu && Math.ceil(value / 8) * 8 > PCPU_MIN_UNIT_SIZE) refuse(`a ${value}-byte per-CPU value`, `at most ${PCPU_MIN_UNIT_SIZE} bytes per CPU`);
  if (key + value >= KMALLOC_MAX_SIZE - 64) refuse(`${key + value} bytes of key and value`, `less than ${KMALLOC_MAX_SIZE} bytes an entry`);
  if (!hashed && m.maxEntries! * Math.ceil(value / 8) * 8 >= 2 ** 32 - 4096) refuse(`${m.maxEntries} entries of ${value} bytes`, "an array holds less than 4 GiB");
}
