// Text form of the IR, for --dump-ir and for tests that read the frontend's output.
// In: an IrFunction. Out: a string, one instruction per line.

import { isImm, type Base, type Inst, type IrFunction, type Operand, type Terminator } from "./ir.js";

const opnd = (o: Operand) => (isImm(o) ? o.imm.toString() : `%${o}`);
const base = (b: Base) => ("reg" in b ? `%${b.reg}` : `slot${b.slot}`);

export function printInst(i: Inst): string {
  switch (i.op) {
    case "const": return `%${i.dst} = ${i.value}${i.core ? ` core(${i.core.root.name}${i.core.field ? `.${i.core.field}` : ""} kind ${i.core.kind})` : ""}`;
    case "mov": return `%${i.dst} = %${i.src}`;
    case "alu": return `%${i.dst} = ${i.alu}${i.w32 ? "32" : ""} %${i.a}, ${opnd(i.b)}${i.core ? ` core(${i.core.root.name}.${i.core.field ?? ""})` : ""}`;
    case "neg": return `%${i.dst} = neg %${i.a}`;
    case "ext": return `%${i.dst} = ${i.signed ? "sext" : "zext"}${i.bits} %${i.src}`;
    case "setcc": return `%${i.dst} = ${i.cmp} %${i.a}, ${opnd(i.b)}`;
    case "load": return `%${i.dst} = load${i.size * 8} [${base(i.base)} + ${i.off}]`;
    case "store": return `store${i.size * 8} [${base(i.base)} + ${i.off}], ${opnd(i.src)}`;
    case "addr": return `%${i.dst} = addr slot${i.slot} + ${i.off}`;
    case "symref": return `%${i.dst} = ${i.kind} ${i.symbol}`;
    case "call": return `${i.dst !== undefined ? `%${i.dst} = ` : ""}call ${"fn" in i ? i.fn : i.helper}(${i.args.map(opnd).join(", ")})`;
    case "atomic_add": return `atomic_add${i.size * 8} [%${i.base.reg} + ${i.off}], %${i.src}`;
    case "forget": return `%${i.dst} = forget %${i.src}`;
  }
}

export function printTerm(t: Terminator): string {
  switch (t.op) {
    case "jmp": return `jmp b${t.target}`;
    case "br": return `br ${t.cmp} %${t.a}, ${opnd(t.b)} ? b${t.then} : b${t.else}`;
    case "ret": return `ret ${opnd(t.value)}`;
  }
}

export function printFunction(fn: IrFunction): string {
  const lines = [`function ${fn.name} (${fn.params.map((r) => `%${r}`).join(", ")})`];
  for (const s of fn.slots) lines.push(`  slot${s.id}: ${s.size} bytes align ${s.align} (${s.name})`);
  for (const b of fn.blocks) {
    lines.push(`b${b.id}:`);
    for (const i of b.insts) lines.push(`  ${printInst(i)}`);
    lines.push(`  ${printTerm(b.term)}`);
  }
  return lines.join("\n") + "\n";
}
