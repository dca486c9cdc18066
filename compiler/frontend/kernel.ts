// The running (or a given) kernel's types for the frontend: BTF loaded on first use,
// kernel structs named by `@kernel` declarations (from `bpftsc types`), kernel function
// prototypes for binding handler parameters by name (and where the target's calling
// convention puts their arguments), the CO-RE relocation of each field access through a
// kernel struct, and kernel enums as the object describes them.
// In: the BTF path (--btf, default /sys/kernel/btf/vmlinux). Out: StructTypes laid out as
// that kernel lays them out, a CoreTag per relocatable field access (the object
// writer describes the accessed fields locally; libbpf matches them by name against the
// kernel it loads on), and EnumTypes with that kernel's values.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type ts from "typescript";
import { btfAbiType } from "../debuginfo/btf-abi.js";
import {
  fieldAccessById, kernelEnum, kernelFunction, kernelStruct, loadKernelBtf, lookupStructId, structMembers, structTypeId, tracepointPrototype,
  tracepointStruct, type KernelBtf, type KernelFunction,
} from "../debuginfo/kernel-btf.js";
import type { CoreTag } from "../ir/ir.js";
import { CORE_KIND } from "../object/model.js";
import type { ArgPlace, Target } from "../target/index.js";
import { I32, I64, U32, U64, findField, type CType, type EnumType, type StructType } from "../types/ctype.js";
import type { FrontendContext } from "./context.js";

export const DEFAULT_BTF = "/sys/kernel/btf/vmlinux";
const { FIELD_BYTE_OFFSET } = CORE_KIND;

export class KernelTypes {
  private loaded: KernelBtf | undefined;
  /** Function prototypes by name, looked up once per compile. */
  private readonly functions = new Map<string, KernelFunction | undefined>();
  private functionSet: Set<string> | undefined;
  private readonly flavours = new Set<StructType>();
  private readonly flavoursByName = new Map<string, StructType>();
  private readonly enumsByName = new Map<string, EnumType>();

  constructor(private readonly ctx: FrontendContext, readonly path = DEFAULT_BTF) {}

  /** The kernel's BTF; a diagnostic at `node` when it cannot be read. */
  btf(node: ts.Node): KernelBtf {
    if (this.loaded) return this.loaded;
    if (!existsSync(this.path)) return this.ctx.fail("fetchSpec", node, `Kernel BTF '${this.path}' does not exist; this needs a kernel with CONFIG_DEBUG_INFO_BTF, or --btf FILE.`);
    let k: KernelBtf;
    try {
      k = loadKernelBtf(this.path);
    } catch (e) {
      return this.ctx.fail("fetchSpec", node, `Cannot read kernel BTF '${this.path}': ${(e as Error).message}.`);
    }
    // Another architecture's BTF still gives prototypes and layouts that CO-RE relocates,
    // but it is more often a forgotten --btf: say so once.
    const t = this.ctx.target;
    const mismatch = ptRegsMismatch(k, t);
    if (mismatch) this.ctx.warn("fetchSpec", node, `Kernel BTF '${this.path}' is not an ${t.name} kernel's (${mismatch}): kernel functions and structs are described as that kernel has them. Give an ${t.name} kernel's BTF (--btf), or compile for that kernel's architecture (the arch option).`);
    this.loaded = k;
    this.ctx.inputs.add(resolve(this.path));
    return k;
  }

  struct(name: string, node: ts.Node): StructType {
    const st = kernelStruct(this.btf(node), name);
    return st ?? this.ctx.fail("unsupportedType", node, name, ` (no struct '${name}' in the kernel's BTF ${this.path})`);
  }

  /** Whether there is a BTF file to read (kernels without CONFIG_DEBUG_INFO_BTF have none). */
  get available(): boolean {
    return this.loaded !== undefined || existsSync(this.path);
  }

  /** A tracepoint's record layout (struct trace_event_raw_<event>), if BTF has one. */
  tracepointRecord(event: string, node: ts.Node): StructType | undefined {
    return tracepointStruct(this.btf(node), event);
  }

  /** The names of every typedef in the kernel's BTF. */
  typedefNames(node: ts.Node): string[] {
    return this.btf(node).table.names("typedef");
  }

  /** Whether the kernel's BTF has a function of this name (a lookup, not a list). */
  hasFunction(name: string, node: ts.Node): boolean {
    return this.btf(node).table.idsByName("func", name).length > 0;
  }

  /** The names of every function the kernel's BTF describes (for "did you mean"). */
  functionNames(node: ts.Node): Set<string> {
    this.functionSet ??= new Set(this.btf(node).table.names("func"));
    return this.functionSet;
  }

  /** A BTF tracepoint's arguments (btf_trace_<event>). */
  tracepointPrototype(event: string, node: ts.Node): KernelFunction | undefined {
    return tracepointPrototype(this.btf(node), event);
  }

  function(name: string, node: ts.Node): KernelFunction | undefined {
    if (!this.functions.has(name)) this.functions.set(name, kernelFunction(this.btf(node), name));
    return this.functions.get(name);
  }

  /** Where the target's calling convention puts each of the function's arguments. */
  argPlaces(fn: KernelFunction, node: ts.Node): ArgPlace[] {
    const table = this.btf(node).table;
    return this.ctx.target.placeArgs(btfAbiType(table, fn.retTypeId), fn.params.map((p) => btfAbiType(table, p.typeId)));
  }

  /** For a struct converted from kernel BTF: the field's offset on this kernel and the
   *  CO-RE tag that lets libbpf fix it for another. Undefined for other structs. */
  field(st: StructType, name: string, node: ts.Node): { offset: number; type: CType; core?: CoreTag } | undefined {
    if (this.flavours.has(st)) return this.flavourField(st, name, node);
    if (!this.loaded) return undefined;
    const id = structTypeId(this.loaded, st);
    if (id === undefined) return undefined;
    const acc = fieldAccessById(this.loaded, id, [name]);
    if (!acc) return this.ctx.fail("unknownName", node, name);
    // libbpf wants a union root and enum fields described as such locally; those are
    // read at this kernel's offset without relocation.
    if (acc.rootKind !== "struct" || acc.fieldKind === "enum" || acc.fieldKind === "enum64") return { offset: acc.offset, type: acc.type };
    return { offset: acc.offset, type: acc.type, core: { root: st, field: name, kind: FIELD_BYTE_OFFSET } };
  }

  /**
   * A local flavour of a kernel struct (`task_struct___old`, as libbpf-tools' core_fixes
   * declare them): libbpf matches it against the kernel's struct of the name before `___`.
   * Its fields are the declaration's: at this kernel's offset and type where this kernel
   * has them, else at the declaration's C layout (a placeholder the relocation replaces, or
   * poisons when the loading kernel lacks it too: guard such reads with fieldExists()).
   */
  flavour(name: string, declared: StructType, node: ts.Node): StructType {
    const known = this.flavoursByName.get(name);
    if (known) return known;
    const btf = this.btf(node);
    const baseId = lookupStructId(btf, essentialName(name));
    const base = baseId === undefined ? undefined : kernelStruct(btf, essentialName(name));
    const fields = declared.fields.map((f) => {
      const acc = baseId === undefined ? undefined : fieldAccessById(btf, baseId, [f.name]);
      return acc ? { name: f.name, type: acc.type, offset: acc.offset } : f;
    });
    // As large as this kernel's struct, so every field it has lies inside.
    const st: StructType = { ...declared, name, fields, size: Math.max(declared.size, base?.size ?? 0), align: Math.max(declared.align, base?.align ?? 1) };
    this.flavoursByName.set(name, st);
    this.flavours.add(st);
    return st;
  }

  /**
   * The kernel enum `name` as the object describes it for CO-RE: one EnumType per name
   * (a flavour like `cgroup_subsys_id___old` stands for the enum before `___`, and so do
   * flavours of enumerator names), of this kernel's size and signedness, holding the
   * enumerators `declared` names with this kernel's values where it has them, else the
   * declared ones (placeholders a relocation replaces); an enumerator with neither is
   * left out. Without the enum on this kernel, 4 bytes unless a value needs 8.
   */
  enumType(name: string, declared: ReadonlyMap<string, bigint | undefined>, node: ts.Node): EnumType {
    const kernel = kernelEnum(this.btf(node), essentialName(name));
    let root = this.enumsByName.get(name);
    if (!root) {
      const values = [...declared.values()].filter((v) => v !== undefined);
      this.enumsByName.set(name, (root = { kind: "enum", name, int: kernel?.int ?? intFor(values), values: [] }));
    }
    // Another declaration of the name may add enumerators.
    for (const [member, value] of declared) {
      if (root.values.some((v) => v.name === member)) continue;
      const v = kernel?.values.find((k) => k.name === essentialName(member))?.value ?? value;
      if (v !== undefined) root.values.push({ name: member, value: v });
    }
    return root;
  }

  private flavourField(st: StructType, name: string, node: ts.Node): { offset: number; type: CType; core: CoreTag } {
    const f = findField(st, name) ?? this.ctx.fail("unknownName", node, name);
    return { offset: f.offset, type: f.type, core: { root: st, field: name, kind: FIELD_BYTE_OFFSET } };
  }
}

/** A CO-RE name without its flavour: `task_struct` of `task_struct___old`. */
function essentialName(name: string): string {
  const i = name.indexOf("___");
  return i < 0 ? name : name.slice(0, i);
}

/** The integer type of an enum the kernel lacks: 4 bytes unless a value needs 8,
 *  signed when a value is negative. */
function intFor(values: bigint[]): EnumType["int"] {
  const signed = values.some((v) => v < 0n);
  const wide = values.some((v) => (signed ? v < -(1n << 31n) || v >= 1n << 31n : v >= 1n << 32n));
  return wide ? (signed ? I64 : U64) : signed ? I32 : U32;
}

/** Why a kernel's BTF is not of the target's architecture: its struct pt_regs lacks a
 *  register where the target reads it ("regs[3]": element 3 of the u64 array `regs`).
 *  Undefined when it agrees, or has no struct pt_regs to say (a small test BTF). */
function ptRegsMismatch(k: KernelBtf, target: Target): string | undefined {
  const id = lookupStructId(k, "pt_regs");
  if (id === undefined) return undefined;
  const members = new Map(structMembers(k, id).map((m) => [m.name, m.offset]));
  for (const [name, offset] of Object.entries(target.ptRegs.offsets)) {
    const [, member, index] = /^(\w+)(?:\[(\d+)\])?$/.exec(name) ?? [];
    const at = member === undefined ? undefined : members.get(member);
    if (at === undefined || at + 8 * Number(index ?? 0) !== offset) return `its struct pt_regs has no ${name} at offset ${offset}`;
  }
  return undefined;
}
