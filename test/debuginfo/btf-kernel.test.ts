// kernel-btf.ts against the running kernel's /sys/kernel/btf/vmlinux, with
// `bpftool btf dump file ... format raw` as the oracle: function prototypes (every FUNC's
// parameters), struct layouts with anonymous members named as C names them, CO-RE access paths walked
// in bpftool's view of the types, named enums (every one, and which a member's type is),
// tracepoint records, and load/lookup time.

import { beforeAll, describe, expect, it } from "vitest";
import {
  fieldAccess, kernelEnum, kernelFunction, kernelStruct, loadKernelBtf, lookupEnumId, lookupStructId, namedEnumId,
  structMembers, tracepointStruct, type KernelBtf,
} from "../../compiler/debuginfo/kernel-btf.js";
import { findField, namedFields, sizeOf, typeToString, type CType, type PtrType, type StructField, type StructType } from "../../compiler/types/ctype.js";
import { bpftoolRaw, oracleFind, oracleFlatten, type OracleType } from "./bpftool-oracle.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const MODS = ["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"];

describe("kernel BTF of the running kernel", () => {
  let k: KernelBtf;

  beforeAll(() => {
    k = loadKernelBtf(VMLINUX);
  });

  it("loads vmlinux BTF once per path", () => {
    expect(loadKernelBtf(VMLINUX)).toBe(k);
  });

  it("gives vfs_write's parameters (file, buf, count, pos)", () => {
    const f = kernelFunction(k, "vfs_write")!;
    expect(f.params.map((p) => p.name)).toEqual(["file", "buf", "count", "pos"]);
    expect(f.params.map((p) => p.type.kind)).toEqual(["ptr", "ptr", "int", "ptr"]);
    expect(f.params[2].type).toMatchObject({ name: "u64", size: 8, signed: false }); // size_t
    expect(((f.params[0].type as PtrType).to as StructType).name).toBe("file");
    expect(f.params[0].type).toMatchObject({ space: "kernel" });
    expect(f.ret).toMatchObject({ name: "i64" }); // ssize_t
    expect(f.variadic).toBe(false);
  });

  it("gives int parameters as i32 (do_sys_openat2's dfd)", () => {
    const f = kernelFunction(k, "do_sys_openat2")!;
    expect(f.params[0]).toMatchObject({ name: "dfd", type: { kind: "int", name: "i32" } });
    expect(f.params.map((p) => p.name)).toEqual(["dfd", "filename", "how"]);
  });

  it("returns undefined for a function BTF does not have", () => {
    expect(kernelFunction(k, "no_such_function_xyz")).toBeUndefined();
    expect(kernelStruct(k, "no_such_struct_xyz")).toBeUndefined();
  });

  it("keeps conversion lazy: struct file converts only what it embeds", () => {
    const before = k.ctypes.size;
    const st = kernelStruct(k, "task_struct")!;
    expect(st.fields.length).toBeGreaterThan(100);
    // task_struct embeds many structs but must not pull in the kernel through its pointers.
    expect(k.ctypes.size - before).toBeLessThan(400);
    const parent = st.fields.find((f) => f.name === "real_parent")!.type as PtrType;
    expect(parent.to).toBe(st);
    // Follow pointers a long way: it terminates and reuses objects.
    let cur: StructType = st;
    for (let i = 0; i < 50; i++) cur = (cur.fields.find((f) => f.name === "parent")!.type as PtrType).to as StructType;
    expect(cur).toBe(st);
  });

  it("gives tracepoint record layouts (trace_event_raw_*)", () => {
    const enter = tracepointStruct(k, "sys_enter")!;
    expect(enter.fields.map((f) => `${f.name}@${f.offset}:${typeToString(f.type)}`)).toEqual([
      "ent@0:trace_entry", "id@8:i64", "args@16:FixedArray<u64, 6>", "__data@64:Chars<0>",
    ]);
    const sw = tracepointStruct(k, "sched_switch")!;
    expect(sw.fields.find((f) => f.name === "prev_comm")!.type).toMatchObject({ kind: "array", length: 16, isString: true });
  });

  describe("compared with bpftool", () => {
    let oracle: Map<number, OracleType>;
    beforeAll(() => { oracle = bpftoolRaw(VMLINUX); });

    const resolve = (id: number): OracleType | undefined => {
      let t = oracle.get(id);
      while (t && MODS.includes(t.kind)) t = oracle.get(Number(t.attrs.type_id));
      return t; // undefined is void
    };
    /** What the oracle says a parameter's CType should look like: kind and integer name. */
    const expected = (id: number): string => {
      const t = resolve(id);
      if (!t) return "void";
      const n = Number(t.attrs.size);
      const intName = (signed: boolean) => `${signed ? "i" : "u"}${n * 8}`;
      switch (t.kind) {
        case "INT": return t.attrs.encoding === "BOOL" ? "bool" : n > 8 ? "void" : intName(t.attrs.encoding === "SIGNED");
        case "ENUM": case "ENUM64": return intName(t.attrs.encoding === "SIGNED");
        case "PTR": return "ptr";
        case "STRUCT": case "UNION": return "struct";
        default: return "void";
      }
    };
    const actual = (c: CType): string =>
      c.kind === "int" ? c.name : c.kind === "ptr" ? "ptr" : c.kind === "struct" ? "struct" : c.kind;

    it("binds every kernel function's parameters as bpftool describes them", () => {
      let checked = 0;
      const problems: string[] = [];
      for (const t of oracle.values()) {
        if (t.kind !== "FUNC") continue;
        const proto = oracle.get(Number(t.attrs.type_id))!;
        const f = kernelFunction(k, t.name);
        if (!f) { problems.push(`${t.name}: not found`); continue; }
        const params = proto.items.filter((p) => !(p.name === "" && p.attrs.type_id === "0"));
        const want = params.map((p, i) => `${p.name || `arg${i}`}: ${expected(Number(p.attrs.type_id))}`);
        const got = f.params.map((p) => `${p.name}: ${actual(p.type)}`);
        if (want.join(", ") !== got.join(", ")) problems.push(`${t.name}: want (${want}) got (${got})`);
        if (expected(Number(proto.attrs.ret_type_id)) !== actual(f.ret)) problems.push(`${t.name}: return type`);
        checked++;
      }
      expect(problems.slice(0, 10)).toEqual([]);
      expect(checked).toBeGreaterThan(10_000);
    });

    it("puts file.f_inode at the offset bpftool gives", () => {
      const file = oracleFind(oracle, "STRUCT", "file")!;
      const m = file.items.find((x) => x.name === "f_inode")!;
      const st = kernelStruct(k, "file")!;
      expect(st.size).toBe(Number(file.attrs.size));
      expect(st.fields.find((f) => f.name === "f_inode")!.offset).toBe(Number(m.attrs.bits_offset) / 8);
      const fa = fieldAccess(k, "file", ["f_inode"])!;
      expect(fa.offset).toBe(Number(m.attrs.bits_offset) / 8);
      expect(fa.typeId).toBe(file.id);
      expect(fa.accessIndices).toEqual([0, file.items.indexOf(m)]);
      // f_inode is a pointer: i_ino is a second access, rooted at struct inode.
      expect(fieldAccess(k, "file", ["f_inode", "i_ino"])).toBeUndefined();
      const inodeSt = (fa.type as PtrType).to as StructType;
      expect(inodeSt.name).toBe("inode");
      const ino = fieldAccess(k, inodeSt.name, ["i_ino"])!;
      const inode = oracleFind(oracle, "STRUCT", "inode")!;
      const i_ino = inode.items.find((x) => x.name === "i_ino")!;
      expect(ino).toMatchObject({ typeId: inode.id, offset: Number(i_ino.attrs.bits_offset) / 8, accessIndices: [0, inode.items.indexOf(i_ino)] });
      expect(ino.type).toMatchObject({ kind: "int", name: "u64" });
    });

    const STRUCTS = ["file", "inode", "task_struct", "sk_buff", "page", "sock", "mm_struct", "dentry", "super_block", "bio"];

    it.each(STRUCTS)("flattens struct %s's anonymous members as bpftool's layout says", (name) => {
      const id = lookupStructId(k, name)!;
      const want = oracleFlatten(oracle, id);
      const got = new Map(structMembers(k, id).map((m) => [m.name, { offset: m.offset, bitfield: m.omitted === "bitfield" }]));
      expect(got).toEqual(want);
      const st = kernelStruct(k, name)!;
      // The StructType names every member that is not a bitfield (vmlinux has no floats in
      // structs that matter here; 128-bit integers are also left out), anonymous members'
      // through their anonymous struct or union, as C does.
      const omittedOther = structMembers(k, id).filter((m) => m.omitted && m.omitted !== "bitfield").length;
      const named = namedFields(st);
      expect(named.length).toBe([...want.values()].filter((v) => !v.bitfield).length - omittedOther);
      for (const f of named) expect(f.offset).toBe(want.get(f.name)!.offset);
      expect(st.size).toBe(Number(oracle.get(id)!.attrs.size));
    });

    it.each(STRUCTS)("keeps struct %s's own members as BTF has them, anonymous unions as unions", (name) => {
      const id = lookupStructId(k, name)!;
      const flat = structMembers(k, id);
      const want = oracle.get(id)!.items.flatMap((m, i) => {
        const t = resolve(Number(m.attrs.type_id));
        if (m.name === "") return t?.kind === "STRUCT" || t?.kind === "UNION" ? [`@${Number(m.attrs.bits_offset) / 8}:${t.kind}`] : [];
        return flat.some((x) => x.path.length === 1 && x.path[0] === i && x.type) ? [`${m.name}@${Number(m.attrs.bits_offset) / 8}`] : [];
      });
      const got = kernelStruct(k, name)!.fields.map((f) => f.name
        ? `${f.name}@${f.offset}`
        : `@${f.offset}:${(f.type as StructType).union ? "UNION" : "STRUCT"}`);
      expect(got).toEqual(want);
    });

    /** Walks a libbpf access spec over bpftool's view: returns the member name and bit offset. */
    const walk = (rootId: number, spec: number[]): { name: string; bits: number } => {
      let t = resolve(rootId)!;
      let bits = 0, name = "";
      for (const idx of spec.slice(1)) {
        if (t.kind === "ARRAY") {
          const elem = resolve(Number(t.attrs.type_id))!;
          bits += idx * Number(elem.attrs.size ?? 8) * 8;
          name = String(idx);
          t = elem;
        } else {
          const m = t.items[idx];
          bits += Number(m.attrs.bits_offset);
          if (m.name) name = m.name;
          t = resolve(Number(m.attrs.type_id))!;
        }
      }
      return { name, bits };
    };

    it.each([
      ["file", ["f_pos"]],
      ["file", ["f_path", "dentry"]],
      ["sk_buff", ["len"]],
      ["sk_buff", ["protocol"]],
      ["sk_buff", ["data"]],
      ["task_struct", ["pid"]],
      ["task_struct", ["comm", "3"]],
      ["task_struct", ["se", "vruntime"]],
      ["page", ["mapping"]],
      ["sock", ["__sk_common", "skc_daddr"]],
      ["sock", ["sk_rcvbuf"]],
    ])("gives %s.%s a CO-RE access spec that leads to it in bpftool's layout", (root, path) => {
      const fa = fieldAccess(k, root, path as string[])!;
      expect(fa).toBeDefined();
      expect(fa.accessIndices[0]).toBe(0);
      const w = walk(fa.typeId, fa.accessIndices);
      expect(w.name).toBe((path as string[]).at(-1));
      expect(w.bits).toBe(fa.offset * 8);
      // The StructTypes name the same field at the same offset, as C does.
      let cur: CType = fa.root, offset = 0;
      for (const step of path as string[]) {
        if (cur.kind === "struct") {
          const f: StructField = findField(cur, step)!;
          offset += f.offset;
          cur = f.type;
        } else {
          const elem: CType = (cur as { elem: CType }).elem;
          offset += Number(step) * sizeOf(elem);
          cur = elem;
        }
      }
      expect(cur).toBe(fa.type);
      expect(offset).toBe(fa.offset);
    });

    it("gives every named enum's size, signedness and enumerators as bpftool prints them", () => {
      const problems: string[] = [];
      let checked = 0;
      for (const t of oracle.values()) {
        if ((t.kind !== "ENUM" && t.kind !== "ENUM64") || !t.name || lookupEnumId(k, t.name) !== t.id) continue;
        const e = kernelEnum(k, `enum ${t.name}`)!;
        const size = Number(t.attrs.size);
        const want = { name: t.name, size, signed: t.attrs.encoding === "SIGNED", values: t.items.map((v) => `${v.name}=${v.attrs.val!.replace(/ULL$|LL$/, "")}`) };
        const got = { name: e.name, size: e.int.size, signed: e.int.signed, values: e.values.map((v) => `${v.name}=${v.value}`) };
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${t.name}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
        expect(e.int.name).toBe(`${want.signed ? "i" : "u"}${size * 8}`);
        checked++;
      }
      expect(problems.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(1000);
      // Some are signed, some are 64-bit, some have unsigned 32-bit values past 2^31.
      expect(kernelEnum(k, "perf_event_state")!.int).toMatchObject({ size: 4, signed: true });
      expect(kernelEnum(k, "perf_callchain_context")!.values[0]).toEqual({ name: "PERF_CONTEXT_HV", value: 2n ** 64n - 32n });
      expect(kernelEnum(k, "init_ns_ino")!.values.some((v) => v.value >= 2n ** 31n)).toBe(true);
      expect(kernelEnum(k, "bpftsc_no_such_enum")).toBeUndefined();
    });

    it("says which named enum a member's type is (perf_event.state), and none for other members", () => {
      const id = lookupStructId(k, "perf_event")!;
      const state = structMembers(k, id).find((m) => m.name === "state")!;
      const e = namedEnumId(k, state.typeId)!;
      expect(oracle.get(e)).toMatchObject({ kind: "ENUM", name: "perf_event_state" });
      expect(state.type).toBe(kernelEnum(k, "perf_event_state")!.int);
      expect(namedEnumId(k, structMembers(k, id).find((m) => m.name === "cpu")!.typeId)).toBeUndefined();
    });

    it("chooses the enum with the most enumerators when vmlinux has two of one name", () => {
      const dups = new Map<string, OracleType[]>();
      for (const t of oracle.values()) {
        if ((t.kind === "ENUM" || t.kind === "ENUM64") && t.name) dups.set(t.name, [...(dups.get(t.name) ?? []), t]);
      }
      const dupNames = [...dups].filter(([, ts]) => ts.length > 1);
      expect(dupNames.length).toBeGreaterThan(0);
      for (const [name, ts] of dupNames) {
        const most = Math.max(...ts.map((t) => t.items.length));
        expect(ts.find((t) => t.id === lookupEnumId(k, name))!.items.length).toBe(most);
      }
    });

    it("chooses the fuller struct when vmlinux has two of one name", () => {
      const dups = new Map<string, OracleType[]>();
      for (const t of oracle.values()) {
        if ((t.kind === "STRUCT" || t.kind === "UNION") && t.name) dups.set(t.name, [...(dups.get(t.name) ?? []), t]);
      }
      const dupNames = [...dups].filter(([, ts]) => ts.length > 1);
      expect(dupNames.length).toBeGreaterThan(0);
      for (const [name, ts] of dupNames) {
        const most = Math.max(...ts.map((t) => t.items.length));
        expect(ts.find((t) => t.id === lookupStructId(k, name))!.items.length).toBe(most);
      }
    });
  });
});
