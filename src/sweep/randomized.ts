import { InputError } from '../errors.js';

/**
 * The randomized-distance strategy (THEORY.md section 6): the scaling-optimal subset, its
 * images in random order mapped to distances spaced uniformly from d_min to d_max. d_min
 * starts at the smallest distance that still shrinks the original (0 = lossless for PNG or
 * raw sources, 0.5 for JPEG sources); d_max grows from d_min until the subset fits the
 * budget or reaches the cap (15); then d_min grows towards the cap. Both searches bisect on
 * a total-size function that falls as either end grows.
 */
export function spacedDistances(n: number, dMin: number, dMax: number, snap: (d: number) => number = (d) => d): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new InputError('n', n, 'an integer >= 0');
  if (!(dMin >= 0 && dMax >= dMin)) throw new InputError('distance range', `[${dMin}, ${dMax}]`, '0 <= d_min <= d_max');
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = snap(n === 1 ? dMin : dMin + ((dMax - dMin) * k) / (n - 1));
  return out;
}

export interface RandomizedRange {
  dMin: number;
  dMax: number;
  totalBytes: number;
  fits: boolean;
  /** Which rule produced the range: d_max grown ('grow-max') or d_min grown after d_max hit the cap ('grow-min'), or nothing fits. */
  rule: 'grow-max' | 'grow-min' | 'infeasible';
  evaluations: number;
}

/**
 * Smallest d_max in [d_min0, cap] with totalAt(d_min0, d_max) <= S; failing that, smallest
 * d_min in [d_min0, cap] with totalAt(d_min, cap) <= S (THEORY.md section 6). Bisection to
 * `tolerance` in distance; the returned range always satisfies the budget when fits is true.
 */
export async function randomizedRange(
  totalAt: (dMin: number, dMax: number) => Promise<number> | number,
  storageBytes: number,
  opts: { dMin0: number; cap?: number; tolerance?: number },
): Promise<RandomizedRange> {
  const cap = opts.cap ?? 15;
  const tol = opts.tolerance ?? 0.02;
  if (!(storageBytes > 0) || !Number.isFinite(storageBytes)) throw new InputError('storageBytes', storageBytes, 'a finite number > 0');
  if (!(opts.dMin0 >= 0 && opts.dMin0 <= cap)) throw new InputError('dMin', opts.dMin0, `0 <= d_min <= ${cap}`);
  let evaluations = 0;
  const total = async (a: number, b: number): Promise<number> => {
    evaluations++;
    return await totalAt(a, b);
  };
  const t0 = await total(opts.dMin0, opts.dMin0);
  if (t0 <= storageBytes) return { dMin: opts.dMin0, dMax: opts.dMin0, totalBytes: t0, fits: true, rule: 'grow-max', evaluations };
  const tCap = await total(opts.dMin0, cap);
  if (tCap <= storageBytes) {
    let lo = opts.dMin0; // does not fit
    let hi = cap; // fits
    let tHi = tCap;
    while (hi - lo > tol) {
      const mid = (lo + hi) / 2;
      const t = await total(opts.dMin0, mid);
      if (t <= storageBytes) {
        hi = mid;
        tHi = t;
      } else lo = mid;
    }
    return { dMin: opts.dMin0, dMax: hi, totalBytes: tHi, fits: true, rule: 'grow-max', evaluations };
  }
  const tTop = await total(cap, cap);
  if (tTop > storageBytes) return { dMin: cap, dMax: cap, totalBytes: tTop, fits: false, rule: 'infeasible', evaluations };
  let lo = opts.dMin0;
  let hi = cap;
  let tHi = tTop;
  while (hi - lo > tol) {
    const mid = (lo + hi) / 2;
    const t = await total(mid, cap);
    if (t <= storageBytes) {
      hi = mid;
      tHi = t;
    } else lo = mid;
  }
  return { dMin: hi, dMax: cap, totalBytes: tHi, fits: true, rule: 'grow-min', evaluations };
}

/**
 * Predicted size of one image at distance d from its measured sizes at grid distances:
 * piecewise linear in (d, log size), constant beyond the grid ends. Used to search the
 * randomized range without encoding every probe; the final assignment is encoded and checked.
 */
export function interpolateSize(gridDistances: readonly number[], sizes: ArrayLike<number>, d: number): number {
  const g = gridDistances;
  if (d <= g[0]) return sizes[0];
  if (d >= g[g.length - 1]) return sizes[g.length - 1];
  let k = 1;
  while (g[k] < d) k++;
  const t = (d - g[k - 1]) / (g[k] - g[k - 1]);
  return Math.exp((1 - t) * Math.log(sizes[k - 1]) + t * Math.log(sizes[k]));
}
