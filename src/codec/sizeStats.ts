import { InputError } from '../errors.js';

/** Summary of compressed sizes at one distance (THEORY.md section 6: L = mean bytes per image). */
export interface SizeStats {
  count: number;
  mean: number;
  median: number;
  q05: number;
  q25: number;
  q75: number;
  q95: number;
  min: number;
  max: number;
}

/**
 * Mean and quantiles of compressed sizes in bytes (THEORY.md section 6). Quantiles use
 * linear interpolation between order statistics (Hyndman-Fan type 7, as numpy's default).
 * Pass only the sizes of images that encoded (see dropFailed).
 */
export function sizeStats(bytesPerImage: ArrayLike<number>): SizeStats {
  const n = bytesPerImage.length;
  if (n === 0) throw new InputError('bytesPerImage', '[]', 'at least one size');
  const sorted = Float64Array.from(bytesPerImage as ArrayLike<number>);
  for (const v of sorted) if (!(Number.isFinite(v) && v >= 0)) throw new InputError('bytesPerImage', v, 'finite sizes >= 0');
  sorted.sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const q = (p: number): number => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  };
  return { count: n, mean: sum / n, median: q(0.5), q05: q(0.05), q25: q(0.25), q75: q(0.75), q95: q(0.95), min: sorted[0], max: sorted[n - 1] };
}
