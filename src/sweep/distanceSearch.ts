import { InputError } from '../errors.js';

/**
 * The distance whose mean compressed size hits a target L* (THEORY.md section 6,
 * scaling-optimal strategy). Mean size falls with the Butteraugli distance over the lossy
 * range, so the search bisects in log distance between `lo` (least compression) and `hi`
 * (most compression) and returns the least-compressed probed distance whose mean size is at
 * most the target (the images then fit the budget). Probes go through `meanBytesAt`, which
 * the sweep backs with the cached codec; each distance is probed at most once. `snap` maps
 * a distance to one the encoder can reach (its quality setting is discrete), and the search
 * stops when the bracket cannot be split further or is within `relTolerance` in distance.
 */
export interface DistanceSearchResult {
  distance: number;
  meanBytes: number;
  /** 'hit': bracketed the target; 'below-range': even `lo` is small enough; 'above-range': even `hi` is too big (returns hi). */
  status: 'hit' | 'below-range' | 'above-range';
  probes: { distance: number; meanBytes: number }[];
}

export async function distanceForTargetBytes(
  targetBytes: number,
  meanBytesAt: (distance: number) => Promise<number> | number,
  opts: { lo: number; hi: number; snap?: (d: number) => number; relTolerance?: number; maxProbes?: number },
): Promise<DistanceSearchResult> {
  if (!(targetBytes > 0) || !Number.isFinite(targetBytes)) throw new InputError('targetBytes', targetBytes, 'a finite number > 0');
  if (!(opts.lo > 0 && opts.hi >= opts.lo && Number.isFinite(opts.hi))) throw new InputError('distance range', `[${opts.lo}, ${opts.hi}]`, '0 < lo <= hi < infinity');
  const snap = opts.snap ?? ((d: number) => d);
  const relTol = opts.relTolerance ?? 0.01;
  const maxProbes = opts.maxProbes ?? 24;
  const cache = new Map<number, number>();
  const probes: DistanceSearchResult['probes'] = [];
  const probe = async (d: number): Promise<number> => {
    const hit = cache.get(d);
    if (hit !== undefined) return hit;
    const m = await meanBytesAt(d);
    if (!(m > 0) || !Number.isFinite(m)) throw new InputError(`mean size at distance ${d}`, m, 'a finite number of bytes > 0');
    cache.set(d, m);
    probes.push({ distance: d, meanBytes: m });
    return m;
  };
  let lo = snap(opts.lo);
  let hi = snap(opts.hi);
  const mLo = await probe(lo);
  if (mLo <= targetBytes) return { distance: lo, meanBytes: mLo, status: 'below-range', probes };
  const mHi = await probe(hi);
  if (mHi > targetBytes) return { distance: hi, meanBytes: mHi, status: 'above-range', probes };
  // Invariant: mean(lo) > target >= mean(hi).
  let best = { distance: hi, meanBytes: mHi };
  while (probes.length < maxProbes && hi / lo > 1 + relTol) {
    const mid = snap(Math.sqrt(lo * hi));
    if (mid <= lo || mid >= hi) break;
    const m = await probe(mid);
    if (m <= targetBytes) {
      hi = mid;
      best = { distance: mid, meanBytes: m };
    } else {
      lo = mid;
    }
  }
  return { distance: best.distance, meanBytes: best.meanBytes, status: 'hit', probes };
}
