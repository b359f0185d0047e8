import { InputError } from '../errors.js';

/**
 * Storage budgets (THEORY.md section 6): for a budget S and a distance d, the largest
 * stratified subset that fits is the longest prefix of the stratified ordering whose
 * compressed sizes at d sum to at most S. Sizes are positive, so prefix totals increase and
 * the longest fitting prefix is found by one scan; it never exceeds S.
 */
export function largestPrefixWithin(sizesInOrder: ArrayLike<number>, storageBytes: number): { n: number; totalBytes: number } {
  if (!(storageBytes >= 0) || !Number.isFinite(storageBytes)) throw new InputError('storageBytes', storageBytes, 'a finite number >= 0');
  let total = 0;
  let n = 0;
  for (; n < sizesInOrder.length; n++) {
    const s = sizesInOrder[n];
    if (!(s >= 0) || !Number.isFinite(s)) throw new InputError(`sizes[${n}]`, s, 'a finite number of bytes >= 0');
    if (total + s > storageBytes) break;
    total += s;
  }
  return { n, totalBytes: total };
}

/** Sizes of the ordered images: sizesByIndex[order[k]] (bytes per image at one distance, indexed by pool position). */
export function sizesAlong(order: ArrayLike<number>, sizesByIndex: ArrayLike<number>, n = order.length): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = sizesByIndex[order[k]];
  return out;
}

/** Mean of an array of sizes. */
export function meanBytes(sizes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < sizes.length; i++) s += sizes[i];
  return sizes.length ? s / sizes.length : NaN;
}
