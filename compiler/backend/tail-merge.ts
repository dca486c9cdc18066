// Identical tails keep one copy (cross-jumping, as LLVM's branch folding does): of two
// blocks that end in the same terminator after the same instructions, one keeps them and
// the other jumps into its copy. The two arms of `if (t & 1) m.add(1, 1) else m.add(2, 1)`
// then differ only in the key they store: one lookup, one atomic add and one update
// serve both, and the verifier, meeting the second path where the first went, can prune
// it there. Returns of the same constant (`r0 = C; exit`) share one exit the same way.
// A block that is all tail, and that no block falls into, costs nothing to redirect: its
// predecessors jump to the kept copy (emit.ts threads jumps through empty blocks). Any
// other joins with a `goto`, which its own terminator often costs already (a `goto` past
// the blocks between it and where it goes); one that would make its path an instruction
// longer joins only a tail of MIN_TAIL instructions or more (LLVM's threshold).
// Instructions compare by everything but their source line, and a stack slot by its place
// in the frame (two arms' key slots share their bytes, slot-liveness.ts).
// In: an MFunction after register allocation, and its frame. Out: the same, changed in
// place (blocks split, emptied and added).

import { termLength } from "./emit.js";
import type { CoreTag } from "../ir/ir.js";
import type { Frame } from "./frame.js";
import { successors, type MBlock, type MFunction, type MInst, type MTerm } from "./mir.js";

/** The shortest tail a block with more in it joins (it pays a `goto` for it). */
const MIN_TAIL = 3;
/** How many earlier blocks of its kind each block is compared with. */
const CANDIDATES = 8;

export function mergeTails(fn: MFunction, frame: Frame): void {
  const keys = new Map<MInst, string>();
  const tags = new Map<CoreTag, number>();
  const key = (i: MInst): string => {
    let k = keys.get(i);
    if (k === undefined) keys.set(i, (k = instKey(i, frame, tags)));
    return k;
  };
  let nextId = Math.max(...fn.blocks.map((b) => b.id)) + 1;
  for (let changed = true; changed;) {
    changed = false;
    const byId = new Map(fn.blocks.map((b) => [b.id, b]));
    const fallenInto = fallthroughTargets(fn);
    const next = new Map(fn.blocks.map((b, k) => [b, fn.blocks[k + 1]?.id]));
    /** Where a jump to `id` ends up once empty blocks are threaded. */
    const resolve = (id: number): number => {
      for (let n = 0; n < fn.blocks.length; n++) {
        const b = byId.get(id);
        if (!b || b.insts.length > 0 || b.term.k !== "jmp") break;
        id = b.term.target;
      }
      return id;
    };
    /** The plan of `join` jumping into `keep`'s last `len` instructions, if worth it. */
    const plan = (keep: MBlock, join: MBlock, len: number): { keep: MBlock; join: MBlock; len: number; longer: number } | undefined => {
      const free = join.insts.length === len && !fallenInto.has(join.id) && join !== fn.blocks[0];
      const tailNext = len === keep.insts.length && next.get(join) === keep.id;
      const goto = free || tailNext ? 0 : 1;
      const longer = goto + termLength(keep.term, next.get(keep)) - termLength(join.term, next.get(join));
      return len > 0 && (longer <= 0 || len >= MIN_TAIL) ? { keep, join, len, longer } : undefined;
    };
    const groups = new Map<string, MBlock[]>();
    for (const b of fn.blocks) {
      if (b.insts.length === 0) continue;
      const g = `${termKey(b.term, resolve)}\n${key(b.insts[b.insts.length - 1]!)}`;
      const members = groups.get(g);
      if (members) members.push(b);
      else groups.set(g, [b]);
    }
    const touched = new Set<MBlock>();
    for (const members of groups.values()) {
      for (let x = 1; x < members.length; x++) {
        const b = members[x]!;
        if (touched.has(b)) continue;
        let best: ReturnType<typeof plan>;
        for (let y = x - 1; y >= 0 && y >= x - CANDIDATES; y--) {
          const a = members[y]!;
          if (touched.has(a)) continue;
          const len = commonTail(a, b, key);
          for (const p of [plan(a, b, len), plan(b, a, len)]) {
            if (p && (!best || p.longer < best.longer || (p.longer === best.longer && p.len > best.len))) best = p;
          }
        }
        if (!best) continue;
        const { keep, join, len } = best;
        let tail = keep;
        if (len < keep.insts.length) {
          tail = { id: nextId++, insts: keep.insts.slice(keep.insts.length - len), term: keep.term };
          keep.insts = keep.insts.slice(0, keep.insts.length - len);
          keep.term = { k: "jmp", target: tail.id };
          fn.blocks.splice(fn.blocks.indexOf(keep) + 1, 0, tail);
        }
        join.insts = join.insts.slice(0, join.insts.length - len);
        join.term = { k: "jmp", target: tail.id, ...(join.term.loc ? { loc: join.term.loc } : {}) };
        touched.add(keep).add(join);
        changed = true;
      }
    }
  }
}

/** How many instructions at the ends of a and b are the same. */
function commonTail(a: MBlock, b: MBlock, key: (i: MInst) => string): number {
  let n = 0;
  while (n < a.insts.length && n < b.insts.length && key(a.insts[a.insts.length - 1 - n]!) === key(b.insts[b.insts.length - 1 - n]!)) n++;
  return n;
}

/** Blocks the block before them in the layout falls into and would need a `goto` past,
 *  were they emptied: a `jmp` into them, or a `br` whose other target is not the block
 *  after them (emit.ts inverts a branch to fall into that one instead). */
function fallthroughTargets(fn: MFunction): Set<number> {
  const out = new Set<number>();
  fn.blocks.forEach((p, k) => {
    const b = fn.blocks[k + 1];
    if (!b || !successors(p.term).includes(b.id)) return;
    const after = fn.blocks[k + 2]?.id;
    if (p.term.k === "jmp" || (p.term.k === "br" && (p.term.then === b.id ? p.term.else : p.term.then) !== after)) out.add(b.id);
  });
  return out;
}

/** An instruction as a string of what it does: its fields but the source line, a slot
 *  as its place below R10, a CO-RE relocation by its identity. */
function instKey(i: MInst, frame: Frame, tags: Map<CoreTag, number>): string {
  return JSON.stringify(i, (k, v: unknown) => {
    if (k === "loc") return undefined;
    // A CO-RE relocation is the same only as itself.
    if (k === "core") {
      const tag = v as CoreTag;
      if (!tags.has(tag)) tags.set(tag, tags.size);
      return tags.get(tag);
    }
    if (typeof v === "bigint") return `${v}n`;
    if (k === "mem" && v && typeof v === "object" && "slot" in v) {
      const m = v as { slot: number; off: number };
      return { fp: frame.offsets.get(m.slot)! + m.off };
    }
    if (k === "slot" && i.k === "addr") return frame.offsets.get(v as number)!;
    return v;
  });
}

function termKey(t: MTerm, resolve: (id: number) => number): string {
  switch (t.k) {
    case "exit": return "exit";
    case "jmp": return `jmp ${resolve(t.target)}`;
    case "br": return `br ${t.cmp} ${t.a} ${"reg" in t.b ? `r${t.b.reg}` : t.b.imm} ${t.w32 === true} ${resolve(t.then)} ${resolve(t.else)}`;
  }
}
