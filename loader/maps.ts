// Typed handles on a loaded object's hash and array maps, through libbpf's fd calls.
// In: a MapSource (the map's name, sizes, whether it is an array, its BTF decl tags, key
// and value codecs, and its fd once the object is loaded). Out: BpfMap (get/set/delete,
// keys/values/entries, for-of) and PerCpuMap, whose values are an array with one element
// per possible CPU, plus sum(); sumCpus() adds up one value per CPU; MapBase, what they
// share with the stack trace map and cgroup array handles (stacks.ts, cgroups.ts).
// K and V are the probe's own key and value types (see types.ts).

import { encode, view, type Codec, type Value } from "./btf-codec.js";
import { BpfError, failed } from "./errors.js";
import { native } from "./libbpf.js";
import type { Decoded, Input } from "./types.js";

const ENOENT = 2;
const UPDATE_FLAGS = { any: 0n, noexist: 1n, exist: 2n } as const;
export type UpdateFlag = keyof typeof UPDATE_FLAGS;

export interface MapSource {
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** An array map (every index from 0 to maxEntries - 1 exists). */
  readonly array: boolean;
  /** The BTF decl tags on the map's declaration ("bpftsc:log2hist" for a Log2Hist). */
  readonly tags: readonly string[];
  /** A map of file descriptors user space puts in (a perf event array, a cgroup array,
   *  a program array): the kernel refuses to look its values up, so snapshots leave it out. */
  readonly holdsFds?: boolean;
  readonly key: Codec;
  readonly value: Codec;
  /** The map's fd; throws unless the object is loaded and open. */
  fd(): number;
}

export abstract class MapBase<K> {
  constructor(protected readonly src: MapSource) {}

  get name(): string { return this.src.name; }
  get maxEntries(): number { return this.src.maxEntries; }
  get isArray(): boolean { return this.src.array; }
  get tags(): readonly string[] { return this.src.tags; }
  /** Whether the map holds file descriptors user space put in (see MapSource). */
  get holdsFds(): boolean { return this.src.holdsFds ?? false; }

  protected encodeKey(key: unknown): Uint8Array {
    return encode(this.src.key, this.src.keySize, key, "key");
  }

  protected fail(op: string): never {
    return failed("map", `${op} on map '${this.src.name}'`);
  }

  /** Looks the key up into `out`; false when the key is absent. */
  protected lookup(key: Uint8Array, out: Uint8Array): boolean {
    if (native().lookupElem(this.src.fd(), key, out) === 0) return true;
    if (native().errno() === ENOENT) return false;
    return this.fail("lookup");
  }

  /** Removes the key; false when it was absent. Array maps refuse deletes. */
  delete(key: Input<K>): boolean {
    if (native().deleteElem(this.src.fd(), this.encodeKey(key)) === 0) return true;
    if (native().errno() === ENOENT) return false;
    return this.fail("delete");
  }

  /** Every key, in the kernel's order (bpf_map_get_next_key). */
  *keys(): IterableIterator<Decoded<K>> {
    for (const raw of this.rawKeys()) yield this.src.key.decode(view(raw), 0) as Decoded<K>;
  }

  protected *rawKeys(): IterableIterator<Uint8Array> {
    let prev: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.src.keySize);
      if (native().nextKey(this.src.fd(), prev, next) !== 0) {
        if (native().errno() === ENOENT) return;
        this.fail("get_next_key");
      }
      yield next;
      prev = next;
    }
  }
}

/** A hash, LRU hash or array map. */
export class BpfMap<K = unknown, V = unknown> extends MapBase<K> {
  get(key: Input<K>): Decoded<V> | undefined {
    const out = new Uint8Array(this.src.valueSize);
    return this.lookup(this.encodeKey(key), out) ? (this.src.value.decode(view(out), 0) as Decoded<V>) : undefined;
  }

  has(key: Input<K>): boolean {
    return this.lookup(this.encodeKey(key), new Uint8Array(this.src.valueSize));
  }

  set(key: Input<K>, value: Input<V>, flag: UpdateFlag = "any"): void {
    const bytes = encode(this.src.value, this.src.valueSize, value, "value");
    if (native().updateElem(this.src.fd(), this.encodeKey(key), bytes, UPDATE_FLAGS[flag]) !== 0) this.fail("update");
  }

  *entries(): IterableIterator<[Decoded<K>, Decoded<V>]> {
    const out = new Uint8Array(this.src.valueSize);
    for (const raw of this.rawKeys()) {
      if (!this.lookup(raw, out)) continue; // deleted meanwhile
      yield [this.src.key.decode(view(raw), 0) as Decoded<K>, this.src.value.decode(view(out), 0) as Decoded<V>];
    }
  }

  *values(): IterableIterator<Decoded<V>> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[Decoded<K>, Decoded<V>]> {
    return this.entries();
  }
}

/** A per-CPU hash or array map: each value is an array, one element per possible CPU. */
export class PerCpuMap<K = unknown, V = unknown> extends MapBase<K> {
  /** Each CPU's slot is the value size rounded up to 8 bytes. */
  private readonly stride = Math.ceil(this.src.valueSize / 8) * 8;
  readonly cpus = native().possibleCpus();

  get(key: Input<K>): Decoded<V>[] | undefined {
    const out = new Uint8Array(this.stride * this.cpus);
    return this.lookup(this.encodeKey(key), out) ? this.split(out) : undefined;
  }

  /** The CPUs' values added up: integers summed (bool: any CPU's true), other fields
   *  taken from CPU 0. */
  sum(key: Input<K>): Decoded<V> | undefined {
    const values = this.get(key);
    return values === undefined ? undefined : sumCpus(values as Value[]) as Decoded<V>;
  }

  /** Sets every CPU's value: `values` has one element per possible CPU. */
  set(key: Input<K>, values: readonly Input<V>[], flag: UpdateFlag = "any"): void {
    if (values.length !== this.cpus) throw new BpfError("map", `map '${this.src.name}' is per-CPU: set() takes ${this.cpus} values, one per possible CPU, not ${values.length}`);
    const bytes = new Uint8Array(this.stride * this.cpus);
    values.forEach((v, cpu) => bytes.set(encode(this.src.value, this.src.valueSize, v, `value[${cpu}]`), cpu * this.stride));
    if (native().updateElem(this.src.fd(), this.encodeKey(key), bytes, UPDATE_FLAGS[flag]) !== 0) this.fail("update");
  }

  *entries(): IterableIterator<[Decoded<K>, Decoded<V>[]]> {
    const out = new Uint8Array(this.stride * this.cpus);
    for (const raw of this.rawKeys()) {
      if (!this.lookup(raw, out)) continue;
      yield [this.src.key.decode(view(raw), 0) as Decoded<K>, this.split(out)];
    }
  }

  [Symbol.iterator](): IterableIterator<[Decoded<K>, Decoded<V>[]]> {
    return this.entries();
  }

  private split(bytes: Uint8Array): Decoded<V>[] {
    const dv = view(bytes);
    return Array.from({ length: this.cpus }, (_, cpu) => this.src.value.decode(dv, cpu * this.stride) as Decoded<V>);
  }
}

/** One value per CPU added up: integers summed (bool: any CPU's true), other fields
 *  taken from CPU 0. */
export function sumCpus(values: readonly Value[]): Value {
  return values.reduce(add);
}

function add(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (typeof a === "bigint" && typeof b === "bigint") return a + b;
  if (typeof a === "boolean" && typeof b === "boolean") return a || b;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => add(x, b[i]!));
  if (isRecord(a) && isRecord(b)) return Object.fromEntries(Object.entries(a).map(([k, x]) => [k, add(x, b[k]!)]));
  return a;
}

function isRecord(v: Value): v is { [field: string]: Value } {
  return typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);
}

