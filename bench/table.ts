// Text tables for the benchmark: side-by-side cells "bpftsc/clang (ratio)", a flag on
// cells where bpftsc is worse, geometric means of the ratios per column.
// In: rows of cells. Out: aligned text.

/** Marks a cell where bpftsc does worse than clang. */
export const WORSE = "!";

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

const shown = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

/** "a/b (a÷b)", flagged when a is over b; "-" for a missing side. */
export function pair(a: number | undefined, b: number | undefined, fmt: (x: number) => string = String): string {
  const s = `${shown(a) ? fmt(a) : "-"}/${shown(b) ? fmt(b) : "-"}`;
  const r = ratio(a, b);
  if (r === undefined) return s;
  return `${s} (${r.toFixed(2)})${r > 1.0005 ? " " + WORSE : ""}`;
}

export function geomean(xs: number[]): number | undefined {
  const ys = xs.filter((x) => x > 0 && Number.isFinite(x));
  if (ys.length === 0) return undefined;
  return Math.exp(ys.reduce((s, x) => s + Math.log(x), 0) / ys.length);
}

export function geomeanCell(ratios: number[]): string {
  const g = geomean(ratios);
  return g === undefined ? "-" : `geomean ${g.toFixed(2)}${g > 1.0005 ? " " + WORSE : ""}`;
}

/** Collects the ratio of each cell of a column, for its geometric mean. */
export class Column {
  readonly ratios: number[] = [];

  cell(a: number | undefined, b: number | undefined, fmt?: (x: number) => string): string {
    const r = ratio(a, b);
    if (r !== undefined && r > 0) this.ratios.push(r);
    return pair(a, b, fmt);
  }

  geomean(): string {
    return geomeanCell(this.ratios);
  }
}

/** Aligned columns with a rule under the head; a null row draws another rule. */
export function render(head: string[], rows: (string[] | null)[]): string {
  const body = rows.filter((r): r is string[] => r !== null);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]): string => cells.map((s, c) => (s ?? "").padEnd(widths[c]!)).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(head), rule, ...rows.map((r) => (r === null ? rule : line(r)))].join("\n");
}

export const ms = (x: number): string => x.toFixed(0);
export const mb = (kb: number): string => (kb / 1024).toFixed(0);
export const ns = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
