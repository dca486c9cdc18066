// A cursor for emitting IR: creates virtual registers, slots and blocks and appends
// instructions to the current block. In: calls from the frontend's lowering. Out: an
// IrFunction (finish()).

import type { Block, Inst, IrFunction, Loc, Slot, Terminator, VReg } from "./ir.js";

export class IrBuilder {
  private readonly fn: IrFunction;
  private cur: Block;
  /** Source location stamped on emitted instructions. */
  loc: Loc | undefined;

  /** A function of `arity` arguments (a program's one is its context). */
  constructor(name: string, arity: number) {
    const entry: Block = { id: 0, insts: [], term: { op: "ret", value: { imm: 0n } } };
    const params = Array.from({ length: arity }, (_, i) => i);
    this.fn = { name, params, hints: new Map(), blocks: [entry], slots: [], nextReg: arity };
    this.cur = entry;
  }

  get params(): readonly VReg[] { return this.fn.params; }
  get current(): Block { return this.cur; }

  newReg(): VReg { return this.fn.nextReg++; }

  /** A new register holding a constant. */
  constReg(value: bigint): VReg {
    const r = this.newReg();
    this.emit({ op: "const", dst: r, value });
    return r;
  }

  hint(reg: VReg, phys: number): void { this.fn.hints.set(reg, phys); }

  /** A stack slot. Slots start 8-byte aligned, so an access aligned within its slot is
   *  aligned on the stack too (the verifier rejects misaligned stack accesses). */
  newSlot(size: number, align: number, name: string): number {
    const slot: Slot = { id: this.fn.slots.length, size, align: Math.max(align, 8), name, loc: this.loc };
    this.fn.slots.push(slot);
    return slot.id;
  }

  /** Declares the slot the struct of parameters past the fourth (see Slot.parameters). */
  markParameters(slot: number): void {
    this.fn.slots[slot].parameters = true;
  }

  /** Declares a slot written once, then only read (see Slot.readOnly). */
  markReadOnly(slot: number): void {
    this.fn.slots[slot].readOnly = true;
  }

  /** A new block, not yet placed: placement order is the order of setBlock calls. */
  newBlock(): Block {
    return { id: -1, insts: [], term: { op: "ret", value: { imm: 0n } } };
  }

  /** Places `b` after the blocks placed so far and makes it current. */
  setBlock(b: Block): void {
    if (b.id === -1) {
      b.id = this.fn.blocks.length;
      this.fn.blocks.push(b);
    }
    this.cur = b;
  }

  emit(inst: Inst): void {
    if (this.terminated) return; // unreachable code after return/break: dropped
    this.cur.insts.push(this.loc && !inst.loc ? { ...inst, loc: this.loc } : inst);
  }

  /** Ends the current block; later emits go nowhere until setBlock. */
  terminate(term: Terminator): void {
    if (this.terminated) return;
    this.cur.term = this.loc && !term.loc ? { ...term, loc: this.loc } : term;
    this.terminatedBlocks.add(this.cur);
  }

  get terminated(): boolean { return this.terminatedBlocks.has(this.cur); }
  private readonly terminatedBlocks = new Set<Block>();

  /** Jump targets are block ids, which exist once a block is placed; forward jumps
   *  name unplaced blocks, so they are patched in finish(). */
  jump(target: Block): void {
    this.terminate({ op: "jmp", target: this.ref(target) });
  }

  ref(b: Block): number {
    let id = this.pending.get(b);
    if (id === undefined) {
      id = -(this.pending.size + 2);
      this.pending.set(b, id);
    }
    return b.id >= 0 ? b.id : id;
  }
  private readonly pending = new Map<Block, number>();

  finish(loc?: Loc): IrFunction {
    const byTemp = new Map<number, number>();
    for (const [b, tmp] of this.pending) {
      if (b.id < 0) throw new Error(`internal: block referenced but never placed`);
      byTemp.set(tmp, b.id);
    }
    const fix = (id: number) => (id < 0 ? byTemp.get(id)! : id);
    for (const b of this.fn.blocks) {
      const t = b.term;
      if (t.op === "jmp") t.target = fix(t.target);
      else if (t.op === "br") { t.then = fix(t.then); t.else = fix(t.else); }
    }
    this.fn.loc = loc;
    return this.fn;
  }
}
