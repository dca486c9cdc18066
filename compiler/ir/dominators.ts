// Dominators of an IR function's blocks (the iterative algorithm of Cooper, Harvey and
// Kennedy). In: an IrFunction whose blocks[0] is the entry. Out: a query "does block a
// dominate block b" (every path from the entry to b passes through a).

import type { Block, IrFunction } from "./ir.js";

export function successors(b: Block): number[] {
  const t = b.term;
  if (t.op === "jmp") return [t.target];
  if (t.op === "br") return [t.then, t.else];
  return [];
}

export function dominators(fn: IrFunction): (a: number, b: number) => boolean {
  const ids = fn.blocks.map((b) => b.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = new Map<number, number[]>(ids.map((id) => [id, []]));
  for (const b of fn.blocks) for (const s of successors(b)) preds.get(s)!.push(b.id);
  // Reverse postorder from the entry.
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (id: number) => {
    seen.add(id);
    for (const s of successors(fn.blocks[index.get(id)!])) if (!seen.has(s)) visit(s);
    order.push(id);
  };
  visit(ids[0]);
  order.reverse();
  const rpo = new Map(order.map((id, i) => [id, i]));
  const idom = new Map<number, number>([[ids[0], ids[0]]]);
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (rpo.get(a)! > rpo.get(b)!) a = idom.get(a)!;
      while (rpo.get(b)! > rpo.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of order.slice(1)) {
      const done = preds.get(id)!.filter((p) => idom.has(p));
      if (done.length === 0) continue;
      const d = done.reduce(intersect);
      if (idom.get(id) !== d) { idom.set(id, d); changed = true; }
    }
  }
  return (a, b) => {
    for (let x = b; ; x = idom.get(x)!) {
      if (x === a) return true;
      if (x === ids[0] || idom.get(x) === undefined) return false;
    }
  };
}
