/**
 * Summary statistics of a sample (THEORY.md section 6: seeds averaged, bootstrap percentile
 * intervals, kernel bandwidth of the Huber sandwich).
 */

/** Arithmetic mean (NaN for an empty sample). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (divisor m - 1; 0 for fewer than two values). */
export function sampleSd(xs: ArrayLike<number>): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Quantile q of an ascending sample by linear interpolation between order statistics (type 7; NaN when empty). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Silverman's rule-of-thumb bandwidth 0.9 min(sd, IQR/1.34) m^-1/5. */
export function silvermanBandwidth(xs: number[]): number {
  const m = xs.length;
  const avg = xs.reduce((s, x) => s + x, 0) / m;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - avg) ** 2, 0) / Math.max(m - 1, 1));
  const sorted = xs.slice().sort((a, b) => a - b);
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.34) : sd;
  return 0.9 * spread * m ** -0.2;
}
