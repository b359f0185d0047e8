import { InputError } from '../errors.js';

/**
 * The codec's size curve (THEORY.md section 6: L = mean compressed bytes per image at
 * Butteraugli distance d), measured on a sample, and its inverse: the distance whose mean
 * size is a target L. Pure, so the report's planner maps L* to d* with the same code.
 */
export interface SizePoint {
  distance: number;
  /** Mean compressed bytes per image of the sample at this distance. */
  meanBytes: number;
  /** Images the mean is over. */
  count: number;
}

/** Points sorted by distance, checked: finite distances >= 0 and positive means. */
export function validateSizeCurve(points: readonly SizePoint[], param = 'size curve'): SizePoint[] {
  if (!Array.isArray(points) || points.length === 0) throw new InputError(param, '[]', 'at least one (distance, meanBytes) point');
  for (const p of points) {
    if (!(Number.isFinite(p.distance) && p.distance >= 0) || !(Number.isFinite(p.meanBytes) && p.meanBytes > 0)) {
      throw new InputError(param, JSON.stringify(p), 'points with distance >= 0 and meanBytes > 0');
    }
  }
  return [...points].sort((a, b) => a.distance - b.distance);
}

/**
 * The lossy part of the curve: distances > 0 whose mean size decreases with distance (the
 * codec's useful range), each strictly smaller than every one before it.
 */
export function lossyBranch(points: readonly SizePoint[]): SizePoint[] {
  const out: SizePoint[] = [];
  for (const p of validateSizeCurve(points)) {
    if (p.distance === 0) continue;
    if (out.length === 0 || p.meanBytes < out[out.length - 1].meanBytes) out.push(p);
  }
  return out;
}

/**
 * The distance whose interpolated mean size is `targetBytes` (linear in log distance and
 * log bytes between measured points of the lossy branch); clamped to the branch's ends.
 * `status` says whether the target was inside the measured range.
 */
export function distanceForBytes(points: readonly SizePoint[], targetBytes: number): { distance: number; status: 'interpolated' | 'below-range' | 'above-range' } {
  if (!(targetBytes > 0) || !Number.isFinite(targetBytes)) throw new InputError('targetBytes', targetBytes, 'a finite number of bytes > 0');
  const b = lossyBranch(points);
  if (b.length === 0) throw new InputError('size curve', JSON.stringify(points), 'at least one lossy point (distance > 0)');
  if (targetBytes >= b[0].meanBytes) return { distance: b[0].distance, status: 'above-range' };
  const last = b[b.length - 1];
  if (targetBytes <= last.meanBytes) return { distance: last.distance, status: 'below-range' };
  for (let i = 1; i < b.length; i++) {
    const lo = b[i - 1];
    const hi = b[i];
    if (targetBytes <= lo.meanBytes && targetBytes >= hi.meanBytes) {
      const t = (Math.log(targetBytes) - Math.log(lo.meanBytes)) / (Math.log(hi.meanBytes) - Math.log(lo.meanBytes));
      return { distance: Math.exp(Math.log(lo.distance) + t * (Math.log(hi.distance) - Math.log(lo.distance))), status: 'interpolated' };
    }
  }
  return { distance: last.distance, status: 'below-range' };
}
