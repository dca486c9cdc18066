// The function index of the DWARF reader: subprogram DIEs by name, built one unit at a
// time by a pass that skips attribute values without decoding them and jumps over the
// children of DIEs through DW_AT_sibling; a cheaper pass that finds the subprogram at an
// entry address without decoding any name; and struct/union definitions by name.
// In: a DwarfContext and its units. Out: subprogram DIE offsets by name (directly, or
// through DW_AT_abstract_origin / DW_AT_specification), all defined names, and the
// complete definition of a type that a unit only declares.

import { ByteReader, DebugFormatError } from "./byte-reader.js";
import { DW_AT, DW_TAG } from "./dwarf-consts.js";
import { readForm, skipForm } from "./dwarf-forms.js";
import type { Abbrev, DwarfContext, Unit } from "./dwarf-units.js";

/** Subprogram facts collected by the index pass. */
export interface IndexedSub {
  offset: number;
  unit: Unit;
  /** Own DW_AT_name / linkage name, if any. */
  names: string[];
  /** DW_AT_abstract_origin or DW_AT_specification, as an absolute offset. */
  origin: number | undefined;
  hasCode: boolean;
}

const SUBPROGRAM = new Set<number>([DW_TAG.subprogram]);
const AGGREGATES = new Set<number>([DW_TAG.structure_type, DW_TAG.union_type, DW_TAG.class_type]);
const DESCEND_TAGS = new Set<number>([DW_TAG.compile_unit, DW_TAG.partial_unit, DW_TAG.namespace, DW_TAG.type_unit, DW_TAG.skeleton_unit]);

export class FunctionIndex {
  readonly subsByName = new Map<string, IndexedSub[]>();
  /** Subprograms that name another subprogram DIE as origin/specification, by that DIE's offset. */
  readonly subsByOrigin = new Map<number, IndexedSub[]>();
  readonly subsByOffset = new Map<number, IndexedSub>();
  private readonly indexedUnits = new Set<Unit>();
  private aggregates: Map<string, number> | undefined;

  constructor(private readonly ctx: DwarfContext) {}

  /** Records the unit's subprograms in the name index (once per unit). */
  indexUnit(u: Unit): void {
    if (this.indexedUnits.has(u)) return;
    this.indexedUnits.add(u);
    this.walkDies(u, SUBPROGRAM, (r, ab, offset) => this.scanSubprogram(r, ab, u, offset));
  }

  /** The offset of the unit's subprogram DIE whose DW_AT_low_pc is `addr` (decodes nothing else). */
  subprogramAt(u: Unit, addr: bigint): number | undefined {
    let found: number | undefined;
    this.walkDies(u, SUBPROGRAM, (r, ab, offset) => {
      let sib: number | undefined;
      for (let i = 0; i < ab.forms.length; i++) {
        const at = ab.ats[i]!;
        if (at === DW_AT.low_pc || at === DW_AT.sibling) {
          const a = { at, ...readForm(r, ab.forms[i]!, u, ab.consts[i]!) };
          if (at === DW_AT.sibling) sib = this.ctx.attrRef(a);
          else if (found === undefined && this.ctx.attrAddress(u, a) === addr) found = offset;
        } else {
          skipForm(r, ab.forms[i]!, u);
        }
      }
      return sib;
    });
    return found;
  }

  /**
   * The complete definition of the struct/union/class named `name` (tag as given) in any
   * unit: what an incomplete declaration in one unit stands for (opaque types). Indexed
   * over all units on first use.
   */
  aggregateDefinition(tag: number, name: string): number | undefined {
    if (!this.aggregates) {
      const m = new Map<string, number>();
      for (const u of this.ctx.units) {
        this.walkDies(u, AGGREGATES, (r, ab, offset) => {
          let n: string | undefined;
          let decl = false;
          let sib: number | undefined;
          for (let i = 0; i < ab.forms.length; i++) {
            const at = ab.ats[i]!;
            if (at === DW_AT.name || at === DW_AT.declaration || at === DW_AT.sibling) {
              const a = { at, ...readForm(r, ab.forms[i]!, u, ab.consts[i]!) };
              if (at === DW_AT.name) n = this.ctx.attrString(u, a);
              else if (at === DW_AT.declaration) decl = a.val !== 0;
              else sib = this.ctx.attrRef(a);
            } else {
              skipForm(r, ab.forms[i]!, u);
            }
          }
          const key = `${ab.tag}:${n}`;
          if (n !== undefined && !decl && !m.has(key)) m.set(key, offset);
          return sib;
        });
      }
      this.aggregates = m;
    }
    return this.aggregates.get(`${tag}:${name}`);
  }

  /**
   * Walks a unit's DIEs, skipping attribute values without decoding them and jumping over
   * the children of everything but namespaces through DW_AT_sibling where present; calls
   * `onDie` at each DIE with one of `tags` (cursor at its attributes; it must read them
   * all and return the DW_AT_sibling target, if any).
   */
  private walkDies(u: Unit, tags: Set<number>, onDie: (r: ByteReader, ab: Abbrev, offset: number) => number | undefined): void {
    const abbrevs = this.ctx.abbrevsOf(u);
    const r = new ByteReader(u.sec, u.dieOffset - u.secBase);
    const limit = u.end - u.secBase;
    let depth = 0;
    let first = true;
    while (r.pos < limit) {
      const at = r.pos;
      const code = r.uleb();
      if (code === 0) {
        depth--;
        if (depth <= 0) break;
        continue;
      }
      const ab = abbrevs.get(code);
      if (!ab) throw new DebugFormatError(`unknown abbreviation code ${code} in unit at 0x${u.offset.toString(16)}`);
      const sib = tags.has(ab.tag) ? onDie(r, ab, u.secBase + at) : this.ctx.skipAttrs(r, ab, u);
      if (ab.hasChildren) {
        if (!first && sib !== undefined && !DESCEND_TAGS.has(ab.tag) && sib - u.secBase > r.pos) r.pos = sib - u.secBase;
        else depth++;
      } else if (first) {
        break; // a childless root
      }
      first = false;
    }
  }

  indexAll(): void {
    for (const u of this.ctx.codeUnits()) this.indexUnit(u);
  }

  /** Reads just the attributes the index needs from a subprogram DIE; returns its sibling. */
  private scanSubprogram(r: ByteReader, ab: Abbrev, u: Unit, offset: number): number | undefined {
    let name: string | undefined;
    let linkage: string | undefined;
    let origin: number | undefined;
    let sib: number | undefined;
    let hasCode = false;
    for (let i = 0; i < ab.forms.length; i++) {
      const at = ab.ats[i]!;
      const form = ab.forms[i]!;
      switch (at) {
        case DW_AT.name: case DW_AT.linkage_name: case DW_AT.MIPS_linkage_name: {
          const a = { at, ...readForm(r, form, u, ab.consts[i]!) };
          const v = this.ctx.attrString(u, a);
          if (at === DW_AT.name) name = v;
          else linkage = v;
          break;
        }
        case DW_AT.abstract_origin: case DW_AT.specification: case DW_AT.sibling: {
          const v = this.ctx.attrRef({ at, ...readForm(r, form, u, ab.consts[i]!) });
          if (at === DW_AT.sibling) sib = v;
          else origin ??= v;
          break;
        }
        case DW_AT.low_pc: case DW_AT.ranges:
          hasCode = true;
          skipForm(r, form, u);
          break;
        default:
          skipForm(r, form, u);
      }
    }
    const names: string[] = [];
    if (name !== undefined) names.push(name);
    if (linkage !== undefined && linkage !== name) names.push(linkage);
    const sub: IndexedSub = { offset, unit: u, names, origin, hasCode };
    this.subsByOffset.set(offset, sub);
    for (const n of names) push(this.subsByName, n, sub);
    if (origin !== undefined) push(this.subsByOrigin, origin, sub);
    return sib;
  }

  /**
   * Subprograms with code that are named `name` in the indexed units: directly, or through
   * their abstract origin / specification (out-of-line instances of inlined functions,
   * C++ out-of-class definitions).
   */
  definitionsNamed(name: string): IndexedSub[] {
    const out: IndexedSub[] = [];
    const seen = new Set<number>();
    const visit = (s: IndexedSub, depth: number): void => {
      if (seen.has(s.offset) || depth > 8) return;
      seen.add(s.offset);
      if (s.hasCode) out.push(s);
      for (const c of this.subsByOrigin.get(s.offset) ?? []) visit(c, depth + 1);
    };
    for (const s of this.subsByName.get(name) ?? []) visit(s, 0);
    return out;
  }

  /** Every name in the index of subprograms with code. */
  definedNames(): string[] {
    const out = new Set<string>();
    for (const s of this.subsByOffset.values()) {
      if (!s.hasCode) continue;
      const d = this.ctx.die(s.offset);
      const n = this.ctx.nameOf(d);
      if (n !== undefined) out.add(n);
    }
    return [...out].sort();
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
