// Where each global lives in its data section: the sections in the object's order
// (.rodata, .data, .bss), each global at its type's alignment after the one declared
// before it in the same section. The writer places the bytes and the BTF DATASEC by it,
// and the frontend gives each module global its offset by it, so that a program can
// reach several settings through one section address (ir/share-addresses.ts).
// In: globals with a section and a C type, in declaration order. Out: per non-empty
// section, its size, alignment and each global's offset.

import { alignOf, alignUp, sizeOf, type CType } from "../types/ctype.js";
import type { DataSectionName } from "./model.js";

const DATA_SECTIONS: readonly DataSectionName[] = [".rodata", ".data", ".bss"];

export interface SectionLayout<G> {
  section: DataSectionName;
  size: number;
  align: number;
  /** Each global's byte offset in the section, in declaration order. */
  vars: { global: G; offset: number }[];
}

export function layoutData<G extends { section: DataSectionName; type: CType }>(globals: readonly G[]): SectionLayout<G>[] {
  const layouts: SectionLayout<G>[] = [];
  for (const section of DATA_SECTIONS) {
    const mine = globals.filter((g) => g.section === section);
    if (mine.length === 0) continue;
    let size = 0;
    let align = 1;
    const vars = mine.map((global) => {
      const a = alignOf(global.type);
      const offset = alignUp(size, a);
      size = offset + sizeOf(global.type);
      align = Math.max(align, a);
      return { global, offset };
    });
    layouts.push({ section, size, align, vars });
  }
  return layouts;
}
