import { InputError } from '../errors.js';
import { createRng, shuffled } from '../util/rng.js';

/**
 * Stratified nested subsets (THEORY.md section 6: "about 20/40/60/80/100% of the training
 * split, stratified by class"). One seeded ordering of a pool serves every subset size: the
 * subset of size n is the ordering's first n images, so subsets are nested across fractions
 * by construction. Within a class the order is a seeded shuffle; across classes the sequence
 * is Tijdeman's solution of the chairman assignment problem (Tijdeman 1980): with C classes
 * of shares p_c, step n picks, among classes at least e = 1/(2C-2) behind their quota
 * (n p_c - k_c >= e), the one with the earliest deadline (1 - e + k_c) / p_c. Every prefix
 * then satisfies |k_c - n p_c| <= 1 - 1/(2C-2) < 1, so a prefix of n = f N holds exactly
 * f N_c images of class c whenever those are integers (and never strays a whole image from
 * the proportional count otherwise). (Sequential Webster, the obvious alternative, can miss
 * the quota by more than one image: classes of 1, 1, 1 and 5 images at n = 5.) All tests are
 * done in integer arithmetic.
 */
export function stratifiedOrder(labels: ArrayLike<number>, numClasses: number, seed: number, stream = 0): Int32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new InputError('numClasses', numClasses, 'an integer >= 1');
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new InputError(`labels[${i}]`, c, `0..${numClasses - 1}`);
    byClass[c].push(i);
  }
  const perClass = byClass.map((members, c) => shuffled(members, createRng(seed, 101, stream, c)));
  const taken = new Array<number>(numClasses).fill(0);
  const N = labels.length;
  const sizes = perClass.map((m) => m.length);
  const twoC2 = Math.max(1, 2 * numClasses - 2); // 2C - 2 (1 when C = 1: then e = 1, always eligible below)
  const out = new Int32Array(N);
  for (let n = 1; n <= N; n++) {
    let best = -1;
    for (let c = 0; c < numClasses; c++) {
      const s = sizes[c];
      if (taken[c] >= s) continue;
      // eligible: n s_c / N - k_c >= 1 / (2C - 2)  <=>  (n s_c - k_c N)(2C - 2) >= N
      if (numClasses > 1 && (n * s - taken[c] * N) * twoC2 < N) continue;
      // deadline (1 - e + k_c) / p_c is proportional to (2C - 3 + (2C - 2) k_c) / s_c
      if (best < 0 || (twoC2 - 1 + twoC2 * taken[c]) * sizes[best] < (twoC2 - 1 + twoC2 * taken[best]) * s) best = c;
    }
    if (best < 0) throw new Error('stratifiedOrder: no eligible class (unreachable by Tijdeman\'s theorem)');
    out[n - 1] = perClass[best][taken[best]++];
  }
  return out;
}

/** Subset size for a fraction of a pool of `poolSize`: round(f * N), at least 1 (THEORY.md section 6). */
export function subsetSizeForFraction(fraction: number, poolSize: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new InputError('fraction', fraction, '0 < fraction <= 1');
  return Math.max(1, Math.round(fraction * poolSize));
}

/** Per-class counts of the first n entries of an ordering. */
export function prefixClassCounts(order: ArrayLike<number>, labels: ArrayLike<number>, n: number, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let k = 0; k < n; k++) counts[labels[order[k]]]++;
  return counts;
}
