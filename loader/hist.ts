// Histograms drawn as bpftrace 0.17 draws them: one row per bucket from the first to the
// last non-empty one, the bucket's range left-aligned in 16 columns, the count right-
// aligned in 8, and a bar of `@` scaled to the largest count in 52 columns, computed in
// single precision and truncated as bpftrace computes it. A Log2Hist as hist(): "(..., 0)",
// "[0]", "[1]", "[2, 4)", ... "[1K, 2K)" with K, M, G, T for 2^10, 2^20, 2^30, 2^40; a
// LinearHist as lhist(): "(..., min)", "[a, b)", ..., "[max, ...)", a bound that is a
// multiple of 2^20 or 2^10 written with M or K.
// In: the counts by slot (the map's layout, see LOG2_HIST_TAG and linearHistTag), and a
// LinearHist's min, max and step. Out: the rows, each ending in a newline; "" when every
// count is zero.

const BAR = 52;

/** 2^power with bpftrace's suffix: 512, 1K, 2K, ... 1M ... 1G ... 1T, 2T, ... */
function powerLabel(power: number): string {
  for (const [at, suffix] of [[40, "T"], [30, "G"], [20, "M"], [10, "K"]] as const) {
    if (power >= at) return `${2 ** (power - at)}${suffix}`;
  }
  return String(2 ** power);
}

function log2Label(slot: number): string {
  if (slot === 0) return "(..., 0)";
  if (slot === 1) return "[0]";
  if (slot === 2) return "[1]";
  return `[${powerLabel(slot - 2)}, ${powerLabel(slot - 1)})`;
}

export function drawLog2Hist(counts: readonly (number | bigint)[]): string {
  return drawRows(counts, log2Label);
}

/** bpftrace's lhist_index_label: 0, then M for multiples of 2^20, K for 2^10. */
function linearBound(v: bigint): string {
  if (v === 0n) return "0";
  if (v % 1048576n === 0n) return `${v / 1048576n}M`;
  if (v % 1024n === 0n) return `${v / 1024n}K`;
  return String(v);
}

export function drawLinearHist(counts: readonly (number | bigint)[], h: { min: bigint; max: bigint; step: bigint }): string {
  const last = counts.length - 1;
  return drawRows(counts, (slot) => {
    if (slot === 0) return `(..., ${linearBound(h.min)})`;
    if (slot === last) return `[${linearBound(h.max)}, ...)`;
    const lo = h.min + BigInt(slot - 1) * h.step;
    return `[${linearBound(lo)}, ${linearBound(lo + h.step)})`;
  });
}

function drawRows(counts: readonly (number | bigint)[], label: (slot: number) => string): string {
  const n = counts.map((c) => BigInt(c));
  const first = n.findIndex((c) => c > 0n);
  if (first < 0) return "";
  let last = n.length - 1;
  while (n[last] === 0n) last--;
  const max = Math.fround(Number(n.reduce((a, b) => (b > a ? b : a))));
  let out = "";
  for (let slot = first; slot <= last; slot++) {
    const width = Math.trunc(Math.fround(Math.fround(Math.fround(Number(n[slot]!)) / max) * BAR));
    out += `${label(slot).padEnd(16)}${String(n[slot]).padStart(8)} |${"@".repeat(width).padEnd(BAR)}|\n`;
  }
  return out;
}
