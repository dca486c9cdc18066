// Every probe kind compiles to the section libbpf auto-attaches from, with the context
// type its program type expects. kprobe/kretprobe objects pass the verifier here (this
// kernel cannot attach kprobes; the same prologue runs for real through uprobes). fentry
// and fexit are refused by this kernel (EPERM), so they are checked with readelf/bpftool.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runLoader } from "../harness/harness.js";
import { compileProbe } from "./compile-helper.js";

const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8" });

describe("probe kinds", () => {
  it("kprobe and kretprobe: section names, pt_regs argument slots, verifier accepts", () => {
    const { object, listing } = compileProbe("kprobes", `import { kprobe, kretprobe, HashMap, type u32, type u64, type i64 } from "bpftsc";
const hits = new HashMap<u32, u64>(64);
export const entry = kprobe("vfs_read", (file: u64, buf: u64, count: u64, pos: u64) => {
  hits.set(0, file ^ buf ^ count ^ pos);
});
export const exit = kretprobe("vfs_read", (ret: i64) => {
  hits.set(1, ret);
});
`);
    const r = runLoader(object, { stats: true });
    expect(r.programs.map((p) => [p.name, p.section, p.type])).toEqual([
      ["entry", "kprobe/vfs_read", "kprobe"],
      ["exit", "kretprobe/vfs_read", "kprobe"],
    ]);
    // di, si, dx, cx: the first four argument registers' pt_regs offsets.
    for (const off of [112, 104, 96, 88]) expect(listing).toMatch(new RegExp(`= \\*\\(u64 \\*\\)\\(r1 \\+ ${off}\\)`));
    expect(listing).toMatch(/= \*\(u64 \*\)\(r1 \+ 80\)/); // ax: the return value
  });

  it("fentry and fexit: sections and a u64-array context in BTF", () => {
    const { object, listing } = compileProbe("tracing", `import { fentry, fexit, HashMap, type u32, type u64 } from "bpftsc";
const hits = new HashMap<u32, u64>(64);
export const onEntry = fentry("vfs_read", (file: u64, buf: u64, count: u64) => { hits.set(0, count); });
export const onExit = fexit("vfs_read", (file: u64, buf: u64, count: u64) => { hits.set(1, count); });
`);
    const sections = tool("readelf", ["-S", "-W", object]).stdout;
    expect(sections).toContain(" fentry/vfs_read ");
    expect(sections).toContain(" fexit/vfs_read ");
    // FUNC onEntry -> FUNC_PROTO (ctx: PTR -> unsigned long long)
    const btf = tool("bpftool", ["btf", "dump", "file", object]).stdout;
    const func = /FUNC 'onEntry' type_id=(\d+) linkage=global/.exec(btf)!;
    const proto = new RegExp(`\\[${func[1]}\\] FUNC_PROTO '\\(anon\\)' ret_type_id=\\d+ vlen=1\\n\\t'ctx' type_id=(\\d+)`).exec(btf)!;
    const ptr = new RegExp(`\\[${proto[1]}\\] PTR '\\(anon\\)' type_id=(\\d+)`).exec(btf)!;
    expect(btf).toContain(`[${ptr[1]}] INT 'unsigned long long' size=8`);
    expect(listing).toMatch(/= \*\(u64 \*\)\(r1 \+ 16\)/); // the third argument of the trampoline's array
  });
});
