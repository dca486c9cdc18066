// What the generator knows of the names visible at a point of a generated program:
// scalars (with whether bpftsc folds them to a constant, and whether TypeScript gives
// them a literal type), struct locals and FixedArrays, HashMaps, in nested block frames.

import type { Expr, IntName, ScalarName, StructDecl } from "./ast.js";

export interface ScalarSym {
  kind: "scalar";
  name: string;
  type: ScalarName;
  writable: boolean;
  /** bpftsc folds reads of it (a top-level integer const, a local const of a constant). */
  constant: boolean;
  /** TypeScript types it as a literal (a top-level `const C = 5`): two such cannot be compared. */
  tsLiteral: boolean;
}

export interface StructSym {
  kind: "struct";
  name: string;
  decl: StructDecl;
}

export interface ArraySym {
  kind: "array";
  name: string;
  elem: IntName;
  len: number;
}

export interface MapSym {
  kind: "map";
  name: string;
  key: IntName;
  value: IntName;
}

export type Sym = ScalarSym | StructSym | ArraySym | MapSym;

export class Scope {
  private frames: Sym[][] = [[]];

  push(): void {
    this.frames.push([]);
  }

  pop(): Sym[] {
    if (this.frames.length === 1) throw new Error("Scope.pop: no frame");
    return this.frames.pop()!;
  }

  add(s: Sym): void {
    this.frames[this.frames.length - 1]!.push(s);
  }

  all(): Sym[] {
    return this.frames.flat();
  }

  scalars(pred: (s: ScalarSym) => boolean = () => true): ScalarSym[] {
    return this.all().filter((s): s is ScalarSym => s.kind === "scalar" && pred(s));
  }

  structs(): StructSym[] {
    return this.all().filter((s): s is StructSym => s.kind === "struct");
  }

  arrays(): ArraySym[] {
    return this.all().filter((s): s is ArraySym => s.kind === "array");
  }

  maps(): MapSym[] {
    return this.all().filter((s): s is MapSym => s.kind === "map");
  }

  find(name: string): Sym | undefined {
    return this.all().find((s) => s.name === name);
  }

  /** Whether bpftsc folds `e` to a constant at compile time. */
  isConstant(e: Expr): boolean {
    switch (e.k) {
      case "lit":
        return true;
      case "ref": {
        if (e.lv.k !== "var") return false;
        const s = this.find(e.lv.name);
        return s?.kind === "scalar" && s.constant;
      }
      case "neg":
      case "inv":
      case "cast":
        return this.isConstant(e.e);
      case "bin":
        return this.isConstant(e.l) && this.isConstant(e.r);
      default:
        return false;
    }
  }

  /** Whether TypeScript gives `e` a literal type (`5`, `-5`, `C ? 1 : 2`, `C0`). */
  isTsLiteral(e: Expr): boolean {
    switch (e.k) {
      case "lit":
      case "bool":
        return true;
      case "neg":
        return e.e.k === "lit";
      case "ref": {
        if (e.lv.k !== "var") return false;
        const s = this.find(e.lv.name);
        return s?.kind === "scalar" && s.tsLiteral;
      }
      case "cond":
        return this.isTsLiteral(e.t) || this.isTsLiteral(e.f);
      case "logic":
        return this.isTsLiteral(e.l) || this.isTsLiteral(e.r);
      default:
        return false;
    }
  }
}
